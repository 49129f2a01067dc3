"""Analytic forward FLOPs of any keras_mlp model (TensorFlow backend)."""


def count_flops(model, batch_size=1):
    """Forward-pass FLOPs (a multiply-add counts 2) for `batch_size` images.

    Counts the float operations of the model's inference graph with
    TensorFlow's graph profiler, so it covers every family (and custom
    layers) without a per-layer formula.

    Example:

    >>> count_flops(keras_mlp.MixerB16()) / 1e9  # doctest: +SKIP
    25.2...
    """
    import tensorflow as tf
    from tensorflow.python.framework import convert_to_constants

    spec = tf.TensorSpec((batch_size,) + tuple(model.input_shape[1:]), model.inputs[0].dtype)
    concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    frozen = convert_to_constants.convert_variables_to_constants_v2(concrete)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph=frozen.graph, options=options)
    return profile.total_float_ops
