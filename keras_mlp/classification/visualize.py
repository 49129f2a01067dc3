"""Token-mixing weights as images, like Figure 2 of the MLP-Mixer paper.

Each hidden unit of a token-mixing MLP's first layer has one weight per
patch; laid out on the patch grid, the weights show what spatial pattern the
unit responds to (the paper finds local, global and opposite-phase pairs).
"""

import math

import numpy as np
from keras import ops
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_mlp.model_io.metadata import find_metadata, load_model
from keras_mlp.models.naming import block_of
from keras_mlp.models.registry import create_model

# The model of the MLP-Mixer paper's Figure 2.
DEFAULT_MODEL = "mixer_b16"


def model_to_plot(model, weights=None):
    """The model whose token mixing to draw.

    Args:
        model: registered model name, for a pretrained tag, a checkpoint or
            random weights (`None`: `DEFAULT_MODEL`); a `.keras` `weights`
            brings its own (`None`), and another name is an error.
        weights: a run's final.keras (or its directory), a pretrained tag,
            a checkpoint path, or `None`.
    """
    metadata = find_metadata(weights)
    if metadata is None:
        return create_model(model or DEFAULT_MODEL, weights=weights, include_top=False)
    if model not in (None, metadata.model):
        raise ValueError(f"weights={weights!r} holds a {metadata.model} model, not {model}.")
    return load_model(weights)[0]


def token_mixing_units(model, block):
    """The token-mixing hidden units of one block, on the patch grid.

    Args:
        model: a model whose blocks mix tokens with weights, i.e. whose
            block layers have a `token_mixing_kernel()` (MLP-Mixer, the
            feed-forward-only ViT, ResMLP, gMLP), after a patch `stem`.
        block: block name (`"block_0"`) or index among the blocks that
            have a token-mixing MLP.

    Returns:
        numpy array `(units, rows, cols)`: the `fc1` weights of each hidden
        unit. A class token, if any, has no place on the grid and is left out.

    Example:

    >>> model = keras_mlp.MixerB16(input_shape=(64, 64, 3))
    >>> token_mixing_units(model, 0).shape
    (384, 4, 4)
    """
    mixing = _token_mixing_blocks(model)
    name = mixing[block] if isinstance(block, int) and -len(mixing) <= block < len(mixing) else block
    if name not in mixing:
        raise ValueError(
            f"`block` must name (or index) a block with a token-mixing MLP; "
            f"model {model.name!r} has {mixing or 'none'}. Received: block={block!r}"
        )
    _, rows, cols, _ = model.get_layer("stem").output.shape
    kernel = ops.convert_to_numpy(model.get_layer(name).token_mixing_kernel())
    return kernel[-rows * cols :].T.reshape(-1, rows, cols)


def plot_token_mixing(model, path, blocks=(0, 1, 2), max_units=64, columns=16, unit_inches=0.5, dpi=100):
    """Saves a PNG of the token-mixing hidden units of `blocks`.

    One panel per block, one small image per hidden unit (its weights on the
    patch grid, blue negative, red positive, each scaled to its own largest
    magnitude), in the order of the hidden units.

    Args:
        model: a model with token-mixing blocks (see `token_mixing_units`).
        path: PNG file to write.
        blocks: block names or indices.
        max_units: first hidden units shown per block.
        columns: units per row.
        unit_inches, dpi: size of each unit image; the PNG is
            `columns * unit_inches * dpi` pixels wide.

    Returns:
        `path`.

    Example:

    ```python
    model = keras_mlp.MixerB16(weights="imagenet21k")
    plot_token_mixing(model, "token_mixing.png", blocks=(0, 1, 2))
    ```
    """
    panels = [(block, token_mixing_units(model, block)[:max_units]) for block in blocks]
    panel_rows = [math.ceil(len(units) / columns) for _, units in panels]
    title_rows = 0.6  # in unit heights, for each panel's title
    height = sum(panel_rows) + title_rows * len(panels)
    figure = Figure(figsize=(columns * unit_inches, height * unit_inches), dpi=dpi)
    FigureCanvasAgg(figure)
    top = 1.0
    for (block, units), rows in zip(panels, panel_rows):
        top -= title_rows / height
        name = _token_mixing_blocks(model)[block] if isinstance(block, int) else block
        figure.text(0.5, top + 0.2 * title_rows / height, name, ha="center", va="bottom")
        for i, unit in enumerate(units):
            row, col = divmod(i, columns)
            axes = figure.add_axes(
                (col / columns + 0.05 / columns, top - (row + 0.95) / height,
                 0.9 / columns, 0.9 / height)
            )
            limit = float(np.abs(unit).max()) or 1.0
            axes.imshow(unit, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            axes.set_axis_off()
        top -= rows / height
    figure.savefig(path, format="png")
    return path


def _token_mixing_blocks(model):
    return [
        layer.name
        for layer in model.layers
        if block_of(layer.name) == layer.name and hasattr(layer, "token_mixing_kernel")
    ]
