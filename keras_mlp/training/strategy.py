"""Distribution: `tf.distribute` strategies or `keras.distribution` on JAX."""

import contextlib

import keras

STRATEGIES = ("auto", "mirrored", "multi_worker", "multi_process", "tpu", "one_device")


def get_strategy(name="auto", cluster=None, model_parallel=1, model_name=None):
    """A context manager to build the model, optimizer and metrics under.

    On the TensorFlow backend it is a `tf.distribute.Strategy`'s scope:
    `"auto"` picks `MirroredStrategy` when several GPUs are visible,
    `"multi_worker"` reads the cluster from `TF_CONFIG` (a
    `MultiWorkerMirroredStrategy` that `model.fit` can train under, see
    `keras_mlp.training.multi_worker`). On the JAX backend,
    `"auto"`/`"mirrored"` install `keras.distribution.DataParallel` over all
    devices, and `"multi_process"` joins the processes of `cluster` (a
    `keras_mlp.training.multi_process.Cluster`) and installs it over every
    process's devices; each process then feeds its own share of the batch.
    With `model_parallel > 1` (JAX) it is `keras.distribution.ModelParallel`
    instead, each model copy split over that many devices
    (`keras_mlp.training.model_parallel`, which needs `model_name`). The
    global batch size is split across replicas by `fit`.

    Returns:
        `(scope, num_replicas)`: replicas count data-parallel model copies.
    """
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={name!r}")
    backend = keras.backend.backend()
    if backend == "jax" and name in ("auto", "mirrored", "multi_process"):
        return contextlib.nullcontext(), _jax_distribution(name, cluster, model_parallel, model_name)
    if model_parallel != 1:
        raise ValueError(
            f"--model_parallel={model_parallel} needs the jax backend and strategy "
            f"auto, mirrored or multi_process; this is {backend} with {name!r}."
        )
    if backend == "tensorflow" and name != "multi_process":
        strategy = _tf_strategy(name)
        return strategy.scope(), strategy.num_replicas_in_sync
    if name not in ("auto", "one_device"):
        needs = "the jax backend" if name == "multi_process" else "the tensorflow backend (or jax for 'mirrored')"
        raise ValueError(f"strategy={name!r} needs {needs}; the current backend is {backend!r}.")
    return contextlib.nullcontext(), 1


def _jax_distribution(name, cluster, model_parallel, model_name):
    """Installs the JAX distribution of `name`; the number of model copies."""
    if name == "multi_process":
        from keras_mlp.training import multi_process

        devices = multi_process.initialize(cluster or multi_process.Cluster())
    else:
        devices = keras.distribution.list_devices()
    if model_parallel > 1:
        from keras_mlp.training.model_parallel import model_parallel_distribution

        distribution = model_parallel_distribution(model_name, devices, model_parallel)
    elif len(devices) > 1 or name == "multi_process":
        # Each process batches its own shard of the input (the trainer does).
        distribution = keras.distribution.DataParallel(
            devices=devices, auto_shard_dataset=name != "multi_process"
        )
    else:
        return 1
    keras.distribution.set_distribution(distribution)
    return len(devices) // model_parallel


def _tf_strategy(name):
    import tensorflow as tf

    # Physical, not logical: listing logical devices starts the runtime, after
    # which MultiWorkerMirroredStrategy can no longer configure collectives.
    gpus = tf.config.list_physical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        from keras_mlp.training.multi_worker import MultiWorkerStrategy

        return MultiWorkerStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
