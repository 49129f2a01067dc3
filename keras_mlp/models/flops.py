"""Analytic forward cost of a Keras model, from its layers' build shapes."""

import math

import keras


def count_macs(model):
    """Multiply-accumulates of one forward pass, per example.

    Walks every layer of `model`, nested ones included, and adds the
    multiply-accumulates of its `Dense`, `EinsumDense` and convolution
    layers (`Conv1D/2D/3D`, grouped or depthwise) from the input shape each
    was built with. Biases, normalization, activations and pooling are not
    counted: they are a fraction of a percent of an MLP or CNN and are not
    part of the usual "FLOPs" figures (timm, fvcore, the papers). A layer
    called on several inputs is counted once. A custom layer whose `call`
    multiplies by its own variables, or calls sublayers on reshaped inputs
    (e.g. `RepMLPBlock`), reports all of its multiply-accumulates per example,
    sublayers included, from `own_macs(input_shape)`.

    Args:
        model: a built `keras.Model` (or layer) with fully known non-batch
            input shapes.

    Returns:
        int.

    Example:

    >>> model = keras_mlp.MixerB16(weights=None)
    >>> keras_mlp.count_macs(model) / 1e9   # doctest: +ELLIPSIS
    12.6...
    """
    total = 0
    # Keras has no public recursive layer walk; `_flatten_layers` is what
    # Keras itself uses to inspect nested layers (e.g. `model_supports_jit`).
    layers = list(model._flatten_layers(include_self=True, recursive=True))
    counted_by_parent = {
        id(sublayer)
        for layer in layers
        if hasattr(layer, "own_macs")
        for sublayer in layer._flatten_layers(include_self=False, recursive=True)
    }
    for layer in layers:
        if id(layer) in counted_by_parent:
            continue
        if not layer.built or layer.get_build_config() is None:
            continue
        input_shape = layer.get_build_config()["input_shape"]
        if hasattr(layer, "own_macs"):
            total += layer.own_macs(input_shape)
        elif isinstance(layer, keras.layers.EinsumDense):
            total += _einsum_dense_macs(layer, input_shape)
        elif isinstance(layer, keras.layers.Dense):
            total += _per_example(input_shape[:-1], layer) * input_shape[-1] * layer.units
        elif isinstance(layer, (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)):
            output_shape = layer.compute_output_shape(input_shape)
            total += _per_example(output_shape, layer) * math.prod(layer.kernel_size)
        elif isinstance(layer, (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)):
            output_shape = layer.compute_output_shape(input_shape)
            input_channels = input_shape[-1 if layer.data_format == "channels_last" else 1]
            total += (
                _per_example(output_shape, layer)
                * math.prod(layer.kernel_size)
                * input_channels
                // layer.groups
            )
    return total


def count_flops(model):
    """Forward floating-point operations per example: `2 * count_macs(model)`.

    Example:

    >>> keras_mlp.count_flops(keras_mlp.MixerB16(weights=None)) / 1e9   # doctest: +ELLIPSIS
    25.2...
    """
    return 2 * count_macs(model)


def _per_example(shape, layer):
    """Elements of `shape` without the batch axis (every output position)."""
    if any(d is None for d in shape[1:]):
        raise ValueError(
            f"Layer {layer.name!r} was built with an unknown non-batch "
            f"dimension: {tuple(shape)}. FLOPs need fixed input shapes, "
            "e.g. build the model with a full `input_shape`."
        )
    return math.prod(shape[1:])


def _einsum_dense_macs(layer, input_shape):
    """Product of the sizes of every index in the equation, batch excluded:
    each combination of indices is one multiply-accumulate."""
    inputs, kernel = layer.equation.split("->")[0].split(",")
    before, ellipsis, after = inputs.partition("...")
    num_ellipsis = len(input_shape) - len(before) - len(after) if ellipsis else 0
    labels = [*before, *(f"...{i}" for i in range(num_ellipsis)), *after]
    sizes = dict(zip(labels, input_shape))
    sizes.update(zip(kernel, layer.kernel.shape))
    del sizes[labels[0]]  # the batch axis
    if any(d is None for d in sizes.values()):
        raise ValueError(
            f"Layer {layer.name!r} has an unknown dimension in "
            f"{layer.equation!r} for input shape {tuple(input_shape)}."
        )
    return math.prod(sizes.values())
