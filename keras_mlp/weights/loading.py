"""The one weights pipeline: resolve `weights=`, read, convert, adapt, assign.

Every family loads through `load_weights`. What a family supplies is data: a
`CheckpointSpec` (its key tables and what counts as its classifier head)
and, per model, adapters for arrays whose shape differs (another
resolution). Every format, keras_mlp's own included, is read into one flat
`{Variable.path: array}` dict first, so they all adapt alike and every
mismatch is reported in one `CheckpointError`.
"""

import dataclasses
import os

from keras_mlp.weights import hub_files
from keras_mlp.weights.checkpoint_grid import read_patch_grid
from keras_mlp.weights.checkpoint_io import CheckpointError, read_state_dict
from keras_mlp.weights.keras_files import read_keras_model, read_keras_weights
from keras_mlp.weights.key_mapping import assign_weights, pick_key_map
from keras_mlp.weights.records import WrongModelError
from keras_mlp.weights.registry import fetch, get_pretrained, list_pretrained

KERAS_SUFFIX = ".weights.h5"
KERAS_MODEL_SUFFIX = ".keras"


@dataclasses.dataclass(frozen=True)
class CheckpointSpec:
    """What a family tells the pipeline about its checkpoints.

    Attributes:
        key_maps: `KeyMap` layouts of the published checkpoints; empty for a
            family that has only keras_mlp's own files.
        head_prefixes: variable path prefixes of the classifier and of what
            exists only with it; such weights are skipped with a warning
            when the model lacks them or has another `classes`.
        hint: one line added to a mismatch error, for what the family's
            checkpoints commonly get wrong.
        format_arguments: `{file suffix: {argument: value}}`, constructor
            arguments a checkpoint format implies (an official Flax `.npz`
            Mixer runs the tanh GELU).
        grid_arguments: `{argument: PatchWeight}`, constructor arguments
            that a checkpoint file's patch grid implies, each read off the
            patch count of the variable the `PatchWeight` names (its
            `pattern` is that `Variable.path`); a record names them itself.
    """

    key_maps: tuple = ()
    head_prefixes: tuple = ("predictions/",)
    hint: str = ""
    format_arguments: dict = dataclasses.field(default_factory=dict)
    grid_arguments: dict = dataclasses.field(default_factory=dict)


class WeightsSource:
    """A validated `weights=` argument: a local file or a pretrained record.

    Args:
        weights: `None`, a path to a checkpoint file, a pretrained tag of
            `model_name` (`"imagenet1k"`, or in full `"mixer_b16.imagenet1k"`
            as `keras_mlp.list_pretrained(model_name)` lists it), or a
            Hub repository (`"hf://org/name"`) or model folder of one.
        model_name: registered model name the tag belongs to.
    """

    def __init__(self, weights, model_name):
        self.record = None
        self.path = None
        # What `read_weights` read from the file, kept for a second load.
        self.arrays = None
        if weights is None:
            return
        if not isinstance(weights, (str, os.PathLike)):
            raise ValueError(
                "`weights` must be None, a checkpoint path or a pretrained tag. "
                f"Received: weights={weights!r}"
            )
        weights = os.fspath(weights)
        if hub_files.is_reference(weights):
            weights = hub_files.weights_file(weights)
        elif not os.path.exists(weights) and weights in list_pretrained():
            # A full name, as `keras_mlp.list_pretrained()` prints it.
            model, _, tag = weights.partition(".")
            if model != model_name:
                raise WrongModelError(weights, model, model_name)
            weights = tag
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

    def defaults(self, spec, **arguments):
        """`arguments` with each `None` replaced by what the weights imply.

        A pretrained record names the constructor arguments its weights
        need; a checkpoint format may imply some (`spec.format_arguments`),
        and a file's patch grid others (`spec.grid_arguments`), for which
        the one array that says it is read. What the caller passes (not
        `None`) always wins.
        """
        if self.record is not None:
            implied = self.record.arguments
        elif self.path is None:
            implied = {}
        else:
            implied = dict(next(
                (values for suffix, values in spec.format_arguments.items() if self.path.endswith(suffix)),
                {},
            ))
            for name, weight in spec.grid_arguments.items():
                # Read only where the caller leaves the argument to the weights.
                if name in arguments and arguments[name] is None:
                    implied[name] = read_patch_grid(self.path, spec.key_maps, weight)
        return {
            name: implied.get(name) if value is None else value
            for name, value in arguments.items()
        }

    def local_path(self):
        """The file on disk, downloading a pretrained record the first time."""
        if self.path is None:
            self.path = fetch(self.record)
        return self.path

    def __str__(self):
        return self.record.name if self.record else repr(self.path)


def read_weights(source, spec, model=None):
    """`{Variable.path: array}` of any supported file; unknown keys kept as they are.

    `model` is needed for `.weights.h5` files, whose variable names come
    from the model's layers. Other files are read once per `source`: a
    second load of it (the RepMLP training form after the deploy form)
    reuses the arrays.
    """
    path = source.local_path()
    if path.endswith(KERAS_SUFFIX):
        return read_keras_weights(path, model)
    if source.arrays is None:
        source.arrays = _read_file(path, spec)
    return source.arrays


def _read_file(path, spec):
    if path.endswith(KERAS_MODEL_SUFFIX):
        return read_keras_model(path)
    if not spec.key_maps:
        raise CheckpointError(
            f"No published checkpoints of this model are supported, so {path!r} "
            f"cannot be read: pass a keras_mlp `{KERAS_SUFFIX}` or "
            f"`{KERAS_MODEL_SUFFIX}` file, or None."
        )
    state = read_state_dict(path)
    key_map = pick_key_map(state, spec.key_maps, source=repr(path))
    converted, unknown = key_map.convert(state)
    converted.update({key: state[key] for key in unknown})
    return converted


def load_weights(model, source, spec, adapt=None):
    """Loads a `WeightsSource` into `model`, all or nothing.

    Args:
        spec: the family's `CheckpointSpec`.
        adapt: optional `fn(path, array, target_shape) -> array or None`
            for arrays of another shape (see `assign_weights`).
    """
    converted = read_weights(source, spec, model)
    assign_weights(
        model, converted, str(source), head_prefix=spec.head_prefixes, adapt=adapt, hint=spec.hint
    )
