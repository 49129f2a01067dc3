"""Resolves a `weights=` argument and loads it into a model."""

import os

import numpy as np

from keras_mlp.weights.checkpoint_io import CheckpointError, check_keras_archive, read_state_dict
from keras_mlp.weights.key_mapping import assign_weights, pick_key_map
from keras_mlp.weights.registry import fetch, get_pretrained

KERAS_SUFFIX = ".weights.h5"
KERAS_MODEL_SUFFIX = ".keras"


class WeightsSource:
    """A validated `weights=` argument: a local file or a pretrained record.

    Args:
        weights: `None`, a path to a checkpoint file, or a pretrained tag of
            `model_name` (see `keras_mlp.list_pretrained(model_name)`).
        model_name: registered model name the tag belongs to.
    """

    def __init__(self, weights, model_name):
        self.record = None
        self.path = None
        if weights is None:
            return
        if not isinstance(weights, (str, os.PathLike)):
            raise ValueError(
                "`weights` must be None, a checkpoint path or a pretrained tag. "
                f"Received: weights={weights!r}"
            )
        weights = os.fspath(weights)
        if os.path.exists(weights) or os.sep in weights or "." in weights:
            if not os.path.isfile(weights):
                raise FileNotFoundError(
                    f"`weights` file not found: {weights!r}. Pass an existing "
                    "checkpoint, a pretrained tag, or None."
                )
            self.path = weights
        else:
            self.record = get_pretrained(model_name, weights)

    def __bool__(self):
        return bool(self.path or self.record)

    @property
    def is_keras(self):
        return self.local_path().endswith(KERAS_SUFFIX)

    @property
    def is_flax(self):
        return self.local_path().endswith(".npz")

    def local_path(self):
        """The file on disk, downloading a pretrained record the first time."""
        if self.path is None:
            self.path = fetch(self.record)
        return self.path

    def read(self, key_maps, prepare=None):
        """Converted `{keras_path: array}`; unknown keys are kept as they are.

        `prepare(state)`, if given, rewrites the raw `{key: array}` dict
        first (e.g. folds arrays that the model stores as one).
        """
        path = self.local_path()
        if path.endswith(KERAS_MODEL_SUFFIX):
            return read_keras_model(path)
        state = read_state_dict(path)
        if prepare is not None:
            state = prepare(state)
        key_map = pick_key_map(state, key_maps, source=repr(path))
        converted, unknown = key_map.convert(state)
        converted.update({key: state[key] for key in unknown})
        return converted

    def __str__(self):
        return self.record.name if self.record else repr(self.path)


def read_keras_model(path):
    """`{Variable.path: array}` of a saved `.keras` model.

    keras_mlp layer names are deterministic, so these paths are the ones a
    rebuilt model has, and the same adaptation rules as for converted
    checkpoints apply (new classes, a finer Mixer patch grid, ...).
    """
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


def load_keras_weights(model, path):
    """`model.load_weights(path)` that leaves the model untouched on failure."""
    snapshot = [np.array(v.numpy()) for v in model.weights]
    try:
        model.load_weights(path)
    except Exception as e:
        for variable, value in zip(model.weights, snapshot):
            variable.assign(value)
        raise CheckpointError(
            f"Could not load Keras weights {path!r} into model {model.name!r}; "
            f"nothing was loaded. ({type(e).__name__}: {e}) The file must come "
            "from `save_weights` of a model with the same architecture, "
            "input shape and classes."
        ) from e


def load_weights(model, source, key_maps, head_prefix="predictions/", adapt=None, converted=None):
    """Loads a `WeightsSource` into `model`.

    Args:
        converted: weights already read with `source.read(key_maps)`, when
            the builder needed them to decide the architecture.
    """
    if source.is_keras:
        load_keras_weights(model, source.local_path())
        return
    if converted is None:
        converted = source.read(key_maps)
    assign_weights(model, converted, str(source), head_prefix=head_prefix, adapt=adapt)
