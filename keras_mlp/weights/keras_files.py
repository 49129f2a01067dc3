"""Reads keras_mlp's own files (`.weights.h5`, `.keras`) as `{Variable.path: array}`.

keras_mlp layer names are deterministic, so the variable paths of a saved
model are those of a rebuilt one. Reading both formats into the same flat
dict as the converted foreign checkpoints lets one pipeline adapt them
(another `classes`, a finer patch grid) and report every mismatch at once.
"""

import contextlib
import zipfile

import h5py
import numpy as np

from keras_mlp.weights.checkpoint_io import KERAS_ARCHIVE_WEIGHTS, CheckpointError, check_keras_archive


def read_keras_weights(path, model):
    """`{Variable.path: array}` of a `.weights.h5` written by `save_weights`.

    Keras 3 stores each layer's own variables as `.../vars/<i>` in the
    order of `layer.save_own_variables`, under a group that records the
    layer's name. The path of a layer is the names along its group chain;
    the variable names come from `model`'s layer of the same path (the
    same class gives the same order). Arrays of layers that `model` lacks
    are keyed `<layer path>/vars/<i>`, so that they get reported.
    """
    with _open_weights_file(path) as f:
        arrays = _read_groups(f)
    names = _own_variable_paths(model)
    return {names.get((layer, index), f"{layer}/vars/{index}"): array for (layer, index), array in arrays.items()}


def read_layer_arrays(path, layer):
    """The arrays of one layer of a `.weights.h5` or `.keras` file, in the
    order of its `vars/<i>`; no other array of the file is read.

    `layer` is the layer's path (`"block_0/token_mixing/fc1"`).
    """
    if not path.endswith(".keras"):
        with _open_weights_file(path) as f:
            return _layer_arrays(f, layer)
    check_keras_archive(path)
    # `.keras` archives store their weights file uncompressed, so h5py
    # seeks in it as in a file of its own.
    with zipfile.ZipFile(path) as archive, archive.open(KERAS_ARCHIVE_WEIGHTS) as entry:
        with h5py.File(entry, "r") as f:
            return _layer_arrays(f, layer)


@contextlib.contextmanager
def _open_weights_file(path):
    try:
        with h5py.File(path, "r") as f:
            yield f
    except OSError as e:
        raise CheckpointError(
            f"Could not read {path!r} as a Keras .weights.h5 file ({e}). The "
            "file is probably truncated or corrupt."
        ) from e


def _layer_arrays(f, layer):
    datasets = _datasets(f)
    indices = sorted(index for name, index in datasets if name == layer)
    return [np.asarray(datasets[(layer, index)]) for index in indices]


def _read_groups(f):
    return {key: np.asarray(dataset) for key, dataset in _datasets(f).items()}


def _datasets(f):
    """`{(layer path, index): h5py.Dataset}`, read lazily."""
    datasets = {}

    def visit(name, obj):
        if not (isinstance(obj, h5py.Dataset) and name.rpartition("/")[0].endswith("vars")):
            return
        # `save_weights` of a compiled model adds its optimizer's state.
        if name.startswith("optimizer/"):
            return
        vars_group = name.rpartition("/")[0]
        layer = _layer_path(f, vars_group)
        if layer:
            datasets[(layer, int(name.rpartition("/")[2]))] = obj

    f.visititems(visit)
    return datasets


def _layer_path(f, vars_group):
    """`"block_0/token_mixing/fc1"` for `layers/mlp_mixer_block/token_mixing/fc1/vars`."""
    parts = vars_group.split("/")[:-1]
    names = []
    for depth in range(1, len(parts) + 1):
        group = f.get("/".join(parts[:depth] + ["vars"]))
        if group is not None and "name" in group.attrs:
            names.append(str(group.attrs["name"]))
    return "/".join(names)


def _own_variable_paths(model):
    """`{(layer path, index): Variable.path}` for every layer of `model`."""
    paths = {}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        own = {}
        layer.save_own_variables(own)
        for index, variable in own.items():
            layer_path = variable.path.rpartition("/")[0]
            paths[(layer_path, int(index))] = variable.path
    return paths


def read_keras_model(path):
    """`{Variable.path: array}` of a saved `.keras` model."""
    import keras

    check_keras_archive(path)
    try:
        saved = keras.saving.load_model(path, compile=False)
    except Exception as e:
        raise CheckpointError(
            f"Could not load the Keras model {path!r} ({type(e).__name__}: {e}). "
            "The file may be corrupt, or need `import keras_mlp` of a version "
            "that defines its layers."
        ) from e
    return {v.path: np.array(v.numpy()) for v in saved.weights}
