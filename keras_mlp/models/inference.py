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


def inference_function(model, jit_compile="auto"):
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

    Returns:
        `forward(images) -> outputs`, `images` of the model's input shape
        (NumPy or backend tensor, any batch size).

    Example:

    >>> model = keras_mlp.create_model("mixer_s32", input_shape=(64, 64, 3), classes=10)
    >>> forward = keras_mlp.inference_function(model)
    >>> keras.ops.convert_to_numpy(forward(np.zeros((1, 64, 64, 3), "float32"))).shape
    (1, 10)
    """
    if not (jit_compile == "auto" or isinstance(jit_compile, bool)):
        raise ValueError(f"`jit_compile` must be 'auto', True or False. Received: jit_compile={jit_compile!r}")
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a keras.Model (e.g. from keras_mlp.create_model). "
            f"Received: model={model!r}"
        )
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

    expected = model.input_shape

    def checked(images):
        _check_input_shape(model.name, expected, images)
        return forward(images)

    return checked


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
