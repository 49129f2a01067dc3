"""The patch grid a checkpoint file was trained on, read before a model is built.

A grid-bound family's token-mixing weights have one entry per patch, so one
of them says the grid of its checkpoint. `WeightsSource.defaults` reads it
from a file as it reads the grid from a pretrained record, so the model is
built for the rule docs/resolution.md gives that grid (MLP-Mixer's token
MLPs are `K^2` times wider at a grid `K` times finer) and a builder never
reads a checkpoint. Only that one array is read: an `.npz` or
`.safetensors` file is indexed, a PyTorch zip archive mapped, a Keras file
opened at that layer.
"""

from keras_mlp.weights.checkpoint_io import read_state_dict
from keras_mlp.weights.keras_files import read_layer_arrays
from keras_mlp.weights.patch_resampling import source_grid_of

KERAS_FILE_SUFFIXES = (".weights.h5", ".keras")


def read_patch_grid(path, key_maps, weight):
    """The square `(side, side)` grid of a checkpoint file, or `None`.

    Args:
        path: the checkpoint file (official, timm, `.weights.h5`, `.keras`).
        key_maps: the family's `KeyMap` layouts of published checkpoints.
        weight: the `PatchWeight` whose `pattern` is the `Variable.path` of
            one variable with one entry per patch.

    Returns `None` when the file lacks that variable or its patch count is
    not a square: a grid the file does not say.
    """
    array = _read_variable(path, key_maps, weight)
    return None if array is None else source_grid_of(array, weight, None)


def _read_variable(path, key_maps, weight):
    if path.endswith(KERAS_FILE_SUFFIXES):
        layer = weight.pattern.rpartition("/")[0]
        # A layer's one variable of this rank (a Dense's kernel, not its bias).
        return next((a for a in read_layer_arrays(path, layer) if a.ndim == len(weight.axes)), None)

    # `{source key: transform}` of the keys that hold the variable.
    transforms = {}

    def maps_to_weight(key):
        for key_map in key_maps:
            target, transform = key_map.target(key)
            if target == weight.pattern:
                transforms[key] = transform
                return True
        return False

    for key, array in read_state_dict(path, select=maps_to_weight).items():
        return transforms[key](array) if transforms[key] else array
    return None
