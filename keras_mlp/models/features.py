"""Intermediate outputs of any keras_mlp model, as a multi-output model."""

import keras

from keras_mlp.models.naming import block_of


def block_names(model):
    """The names of `model`'s blocks, in order, as `feature_extractor` keys them.

    Every family follows `keras_mlp.models.naming`: `block_<i>` in isotropic
    models, `stage<s>_block_<b>` in staged ones, counted from 0.

    Example:

    >>> model = keras_mlp.MixerS32(input_shape=(64, 64, 3))
    >>> block_names(model)[:3]
    ['block_0', 'block_1', 'block_2']
    """
    return list(block_output_layers(model))


def feature_extractor(model, layer_names=None):
    """A model that returns intermediate outputs of `model` as a dict.

    Works for every functional model of the library (and any functional
    model whose layers follow its naming). The new model shares `model`'s
    layers and weights: training one trains the other.

    Args:
        model: a functional `keras.Model`, e.g. from `keras_mlp.create_model`.
        layer_names: names of the layers whose outputs to return. `None`
            returns every block's output, keyed by block name (`"block_0"`,
            ... in isotropic models, `"stage0_block_0"`, ... in staged ones);
            see `block_names(model)`.

    Returns:
        A `keras.Model` with `model`'s inputs, whose outputs are a dict from
        block (or layer) name to that block's output tensor, e.g.
        `(batch, num_patches, channels)` for Mixer blocks and
        `(batch, height, width, channels)` for RepMLPNet blocks.

    Example:

    ```python
    backbone = keras_mlp.MixerB16(weights="imagenet1k", include_top=False)
    features = keras_mlp.feature_extractor(backbone)
    outputs = features(images)            # {"block_0": ..., "block_11": ...}
    last_two = keras_mlp.feature_extractor(backbone, ["block_10", "block_11"])
    ```
    """
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError(
            "`model` must be a functional keras.Model (every keras_mlp model "
            f"is). Received: model={model!r}"
        )
    if layer_names is None:
        layers = block_output_layers(model)
        if not layers:
            raise ValueError(
                f"Model {model.name!r} has no layers named `block_<i>` or "
                "`stage<s>_block_<b>`: pass `layer_names`. "
                f"Its layers: {[layer.name for layer in model.layers]}"
            )
    else:
        if isinstance(layer_names, str) or not layer_names:
            raise ValueError(
                "`layer_names` must be None or a non-empty list of layer names. "
                f"Received: layer_names={layer_names!r}"
            )
        known = {layer.name for layer in model.layers}
        unknown = [name for name in layer_names if name not in known]
        if unknown:
            raise ValueError(
                f"`layer_names` {unknown} are not layers of model {model.name!r}. "
                f"Its blocks: {block_names(model)}"
            )
        layers = {name: model.get_layer(name) for name in layer_names}
    outputs = {name: layer.output for name, layer in layers.items()}
    return keras.Model(model.inputs, outputs, name=f"{model.name}_features")


def block_output_layers(model):
    """`{block name: last layer of the block}`, in layer order."""
    groups = {}
    for layer in model.layers:
        block = block_of(layer.name)
        if block:
            # Functional layers are topologically sorted: the last one wins.
            groups[block] = layer
    return groups
