"""Distribution: `tf.distribute` strategies or `keras.distribution` on JAX."""

import contextlib

import keras

STRATEGIES = ("auto", "mirrored", "multi_worker", "tpu", "one_device")


def get_strategy(name="auto"):
    """A context manager to build the model, optimizer and metrics under.

    On the TensorFlow backend it is a `tf.distribute.Strategy`'s scope:
    `"auto"` picks `MirroredStrategy` when several GPUs are visible,
    `"multi_worker"` reads the cluster from `TF_CONFIG` (a
    `MultiWorkerMirroredStrategy` that `model.fit` can train under, see
    `keras_mlp.training.multi_worker`). On the JAX backend,
    `"auto"`/`"mirrored"` install `keras.distribution.DataParallel` over all
    devices. The global batch size is split across replicas by `fit`.

    Returns:
        `(scope, num_replicas)`.
    """
    if name not in STRATEGIES:
        raise ValueError(f"`strategy` must be one of {STRATEGIES}. Received: strategy={name!r}")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        strategy = _tf_strategy(name)
        return strategy.scope(), strategy.num_replicas_in_sync
    if backend == "jax" and name in ("auto", "mirrored"):
        devices = keras.distribution.list_devices()
        if len(devices) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return contextlib.nullcontext(), len(devices)
    if name not in ("auto", "one_device"):
        raise ValueError(
            f"strategy={name!r} needs the tensorflow backend (or jax for "
            f"'mirrored'); the current backend is {backend!r}."
        )
    return contextlib.nullcontext(), 1


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
