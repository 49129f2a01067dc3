"""The compiled forward pass that inference calls: `inference_function(model)`.

Keras 3's `model.predict_on_batch(x)` and `model.predict(x)` go through the
training loop's machinery on every call: on TensorFlow a `tf.function` that
runs the step under the distribution strategy and converts the outputs to
NumPy, on JAX a jitted step that also returns (and writes back) every
variable. At batch 1 on a CPU that overhead is a few percent of the step,
and Keras offers no public "compiled forward on a tensor" without it
(`keras.export` writes a SavedModel; `make_predict_function` takes an
iterator). `inference_function` is that forward pass, compiled once per input
shape and reused.
"""

import contextlib

import keras

from keras_mlp.layers.shifted_depthwise_conv import tracing_for_xla


# What `dtype=` takes: the model's own weights, or a bfloat16 copy of them.
DTYPES = (None, "bfloat16")


def inference_function(model, jit_compile="auto", dtype=None):
    """A compiled `images -> outputs` function of `model` in inference mode.

    What `keras_mlp.classification.predict` and `examples/predict.py` run, and what
    `benchmarks/throughput.py` times: the model's forward pass
    (`training=False`), compiled on its first call for each input shape and
    reused after that, returning backend tensors (no NumPy conversion; call
    `keras.ops.convert_to_numpy` on the result for that).

    - TensorFlow: a `tf.function` of `model(x, training=False)`. By default
      (`"auto"`) compiled with XLA on GPUs, and on CPUs for single images,
      where XLA fuses the LayerNorms, GELUs and residual adds that the graph
      executor runs as hundreds of small ops (the bulk of the batch-1 time
      beyond the matmuls); larger CPU batches run the graph, whose oneDNN
      matmul kernels beat XLA's there (docs/performance.md).
    - JAX: `jax.jit` of `model.stateless_call`, the variables passed as
      arguments, so weights changed after this call (training, loading) are
      used and nothing is written back.
    - torch: the eager model under `torch.no_grad()` (no compilation).

    Args:
        model: a `keras.Model` (any keras_mlp model, or a saved one).
        jit_compile: `"auto"` (as above), `True` (XLA at every batch size),
            or `False` (TensorFlow: the graph at every batch size). JAX always
            compiles with XLA.
        dtype: `None` (the model's own weights and policy), or `"bfloat16"`:
            the forward pass of a copy of the model whose every layer computes
            in bfloat16 and holds its weights in bfloat16, converted once,
            here (`keras_mlp.models.inference.bfloat16_copy`); images go in
            and outputs come out in float32. Unlike `mixed_bfloat16`, which
            keeps float32 variables and casts every kernel on every call, the
            matmuls read bfloat16 weights, as CPUs with AVX-512-BF16 or AMX
            and GPUs run them fastest. Weights changed on `model` later are
            not seen by the copy. Keras' LayerNorm, BatchNorm and GroupNorm
            still compute their statistics in float32 under a bfloat16
            policy.

    Returns:
        `forward(images) -> outputs`, `images` of the model's input shape
        (NumPy or backend tensor, any batch size).

    Example:

    >>> model = keras_mlp.create_model("mixer_s32", input_shape=(64, 64, 3), classes=10)
    >>> forward = keras_mlp.inference_function(model)
    >>> keras.ops.convert_to_numpy(forward(np.zeros((1, 64, 64, 3), "float32"))).shape
    (1, 10)
    >>> fast = keras_mlp.inference_function(model, dtype="bfloat16")
    >>> keras.backend.standardize_dtype(fast(np.zeros((1, 64, 64, 3), "float32")).dtype)
    'float32'
    """
    if not (jit_compile == "auto" or isinstance(jit_compile, bool)):
        raise ValueError(f"`jit_compile` must be 'auto', True or False. Received: jit_compile={jit_compile!r}")
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model (e.g. from keras_mlp.create_model). "
            f"Received: model={model!r}"
        )
    if dtype not in DTYPES:
        raise ValueError(f"`dtype` must be one of {DTYPES}. Received: dtype={dtype!r}")
    expected = model.input_shape
    if dtype is not None:
        model = _with_float32_ends(bfloat16_copy(model))
    backend = keras.backend.backend()
    if backend == "tensorflow":
        forward = _tensorflow_forward(model, jit_compile)
    elif backend == "jax":
        forward = _jax_forward(model)
    elif jit_compile is True:
        raise ValueError(
            f"jit_compile=True is not supported on the {backend} backend: "
            "use jit_compile='auto' (the eager model), or torch.compile yourself."
        )
    else:
        forward = _eager_forward(model)

    def checked(images):
        _check_input_shape(model.name, expected, images)
        return forward(images)

    return checked


def bfloat16_copy(model):
    """A copy of `model` built in bfloat16, with `model`'s weights in bfloat16.

    Every layer's dtype policy in the model's config, nested models and
    sublayers built in `build()` included, becomes `"bfloat16"` (variables
    and computation), and the weights are converted once as they are set.

    Args:
        model: a functional or sequential `keras.Model` (every keras_mlp
            model is one).

    Returns:
        A `keras.Model` of the same layers, names and weight shapes, whose
        variables are bfloat16.
    """
    config = _policy_replaced(model.get_config(), "bfloat16")
    # Sublayers made in `build()` without an explicit dtype take the
    # global policy: bfloat16 as well while the copy is built.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("bfloat16")
    try:
        copy = model.__class__.from_config(config)
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def _policy_replaced(config, dtype):
    """`config` with every layer's `dtype` (a policy or its name) set to `dtype`."""
    if isinstance(config, dict):
        return {
            key: dtype if key == "dtype" and _is_float_policy(value) else _policy_replaced(value, dtype)
            for key, value in config.items()
        }
    if isinstance(config, (list, tuple)):
        return type(config)(_policy_replaced(value, dtype) for value in config)
    return config


def _is_float_policy(value):
    if isinstance(value, dict) and value.get("class_name") == "DTypePolicy":
        value = value["config"]["name"]
    return value in ("float32", "mixed_bfloat16", "mixed_float16", "float16", "bfloat16")


def _with_float32_ends(model):
    """`model` taking float32 images and returning float32 outputs."""
    images = keras.Input(model.input_shape[1:], dtype="float32", name="images")
    outputs = model(keras.ops.cast(images, model.compute_dtype))
    outputs = keras.tree.map_structure(lambda x: keras.ops.cast(x, "float32"), outputs)
    return keras.Model(images, outputs, name=model.name)


# On TensorFlow CPUs, XLA wins at batch 1 (it fuses the ~300 small
# element-wise ops that cost the graph executor more than their arithmetic)
# and loses at batch 32, where oneDNN's fused matmul kernels beat XLA's
# (docs/performance.md); `jit_compile="auto"` takes each where it wins.
_XLA_MAX_BATCH = 1


def _tensorflow_forward(model, jit_compile):
    import tensorflow as tf

    def compiled(xla):
        def forward(x):
            # Layers with an XLA form take it while the XLA function traces.
            with tracing_for_xla() if xla else contextlib.nullcontext():
                return model(x, training=False)

        # `reduce_retracing`: a second batch size gives one shape-generic
        # graph, not one per size (XLA still compiles each shape it meets).
        return tf.function(forward, jit_compile=xla, reduce_retracing=True)

    if jit_compile != "auto":
        return compiled(jit_compile)
    xla, graph = compiled(True), compiled(False)
    if tf.config.list_logical_devices("GPU"):
        return xla
    return lambda x: (xla if x.shape[0] <= _XLA_MAX_BATCH else graph)(x)


def _jax_forward(model):
    import jax

    @jax.jit
    def forward(trainable, non_trainable, x):
        outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return outputs

    # The variable objects once (`model.trainable_variables` walks every
    # layer: a measurable share of a batch-1 step), their values per call.
    trainable, non_trainable = model.trainable_variables, model.non_trainable_variables

    def run(x):
        return forward([v.value for v in trainable], [v.value for v in non_trainable], x)

    return run


def _eager_forward(model):
    import torch

    def run(x):
        with torch.no_grad():
            return model(x, training=False)

    return run


def _check_input_shape(name, expected, images):
    """A clear error for images the model was not built for, before a
    backend's shape error from deep inside the graph."""
    if not isinstance(expected, tuple):  # several inputs: the model checks them
        return
    shape = tuple(keras.ops.shape(images))
    if len(shape) != len(expected) or any(e is not None and e != s for e, s in zip(expected[1:], shape[1:])):
        raise ValueError(
            f"{name} takes inputs of shape {expected} (batch first); "
            f"received images of shape {shape}. Resize or crop them to the "
            "model's input size, or rebuild the model at this size "
            "(input_shape=...)."
        )
