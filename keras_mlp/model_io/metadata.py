"""What a saved keras_mlp model is, beside its weights.

A trained or shared model is only usable with the facts around it: which
registered model and constructor arguments rebuild it, its class names, and
the input pipeline it was trained with. `ModelMetadata` records them as
JSON. `save_model` stores it inside the `.keras` file itself (an extra
`keras_mlp.json` entry of the zip archive, which `keras.saving.load_model`
ignores), so it travels with the file; `save_pretrained` writes it as a Hub
folder's `config.json`; every script reads it back with `load_model`.
"""

import dataclasses
import json
import os
import zipfile

import keras

# Importing the layers registers them for `keras.saving.load_model`.
from keras_mlp import layers  # noqa: F401
from keras_mlp.atomic import atomic_path, write_json
from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.models.registry import create_model
from keras_mlp.weights.checkpoint_io import check_keras_archive

FORMAT_VERSION = 1
# The entry of a `.keras` archive that holds the metadata.
ARCHIVE_ENTRY = "keras_mlp.json"
# What a training run directory calls its trained model and its settings.
FINAL_MODEL = "final.keras"
RUN_FILE = "run.json"


@dataclasses.dataclass(frozen=True)
class ModelMetadata:
    """A keras_mlp model's identity, labels and input pipeline.

    Attributes:
        model: registered model name (`keras_mlp.list_models()`).
        arguments: the keyword arguments of the registered constructor that
            rebuild the architecture (`input_shape`, `classes`, family
            extras), JSON values only; `weights` is never among them.
        preprocessing: the input pipeline the model expects.
        class_names: one name per output of the head, in order, or `None`
            for a model without a classifier.
        extra: free-form provenance (dataset, recipe, epochs, ...).

    Example:

    ```python
    meta = ModelMetadata("mixer_t4", {"input_shape": [32, 32, 3], "classes": 10},
                         Preprocessing(input_size=32), [str(i) for i in range(10)])
    model = meta.build()
    ```
    """

    model: str
    arguments: dict
    preprocessing: Preprocessing
    class_names: tuple | None = None
    extra: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        arguments = dict(self.arguments)
        if arguments.get("input_shape") is not None:
            arguments["input_shape"] = tuple(arguments["input_shape"])
        object.__setattr__(self, "arguments", arguments)
        if "weights" in self.arguments:
            raise ValueError("`arguments` describe the architecture; they cannot hold `weights`.")
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))
            classes = self.arguments.get("classes")
            if classes is not None and classes != len(self.class_names):
                raise ValueError(
                    f"{len(self.class_names)} class names for a head of {classes} "
                    "classes: they must agree."
                )

    def build(self, **overrides):
        """The registered constructor called with `arguments` (and `overrides`)."""
        return create_model(self.model, **{**self.arguments, **overrides})

    def at_input_size(self, size):
        """The same model and pipeline at `size x size` images (the weights
        are resampled when they load, see docs/resolution.md)."""
        channels = (self.arguments.get("input_shape") or (None, None, 3))[-1]
        return dataclasses.replace(
            self,
            arguments={**self.arguments, "input_shape": (size, size, channels)},
            preprocessing=self.preprocessing.replace(input_size=size),
        )

    def to_dict(self):
        return {
            "keras_mlp_version": FORMAT_VERSION,
            "model": self.model,
            "arguments": self.arguments,
            "preprocessing": self.preprocessing.to_dict(),
            "class_names": None if self.class_names is None else list(self.class_names),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, config, source="metadata"):
        missing = [k for k in ("model", "arguments", "preprocessing") if k not in config]
        if missing:
            raise ValueError(f"{source} is not keras_mlp model metadata: it lacks {missing}.")
        return cls(
            model=config["model"],
            arguments=config["arguments"],
            preprocessing=Preprocessing.from_dict(config["preprocessing"]),
            class_names=config.get("class_names"),
            extra=dict(config.get("extra") or {}),
        )

    def save(self, path):
        """Writes the JSON atomically: a reader never sees half a file."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path!r} is not valid JSON ({e}): the file is corrupt.") from e
        return cls.from_dict(config, source=repr(path))


def save_model(model, path, metadata):
    """`model.save(path)` with `metadata` inside the archive, atomically.

    A kill at any instant leaves the previous `path` (or none), never a torn
    file.
    """
    with atomic_path(path) as tmp:
        model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(ARCHIVE_ENTRY, json.dumps(metadata.to_dict(), indent=2))


def model_file(path):
    """`path` itself, or the trained model of a training run directory."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such model file or run directory: {path!r}")
    if not os.path.isdir(path):
        return path
    final = os.path.join(path, FINAL_MODEL)
    if not os.path.isfile(final):
        raise FileNotFoundError(
            f"The run directory {path!r} has no {FINAL_MODEL}: the run has not "
            "finished. Rerun its training command to finish it, or pass one "
            f"of its checkpoints ({os.path.join(path, 'checkpoints', 'epoch_NNN.keras')})."
        )
    return final


def is_model_file(weights):
    """Whether a `weights` argument names a `.keras` file or a run directory.

    A run directory holds `final.keras` or `run.json`; other directories
    (a Hub model folder, with its `config.json`) are not one.
    """
    if not isinstance(weights, (str, os.PathLike)):
        return False
    if os.path.isdir(weights):
        return any(os.path.isfile(os.path.join(weights, n)) for n in (FINAL_MODEL, RUN_FILE))
    return os.fspath(weights).endswith(".keras")


def find_metadata(weights):
    """The metadata of a `weights` argument that is a `.keras` file with
    keras_mlp metadata (or a run directory), else `None`."""
    return read_metadata(model_file(weights)) if is_model_file(weights) else None


def read_metadata(path):
    """The `ModelMetadata` stored in a `.keras` file, or `None` if it has none.

    Raises `keras_mlp.CheckpointError` for a file that is not a `.keras`
    archive (truncated, corrupt, another format).
    """
    check_keras_archive(path)
    with zipfile.ZipFile(path) as archive:
        if ARCHIVE_ENTRY not in archive.namelist():
            return None
        config = json.loads(archive.read(ARCHIVE_ENTRY))
    return ModelMetadata.from_dict(config, source=f"{path!r} ({ARCHIVE_ENTRY})")


def load_model(path, input_size=None):
    """`(model, metadata)` of a `.keras` file or a training run directory.

    `metadata` is `None` for a `.keras` file that `save_model` did not write.
    With an `input_size` other than the saved one, the model is rebuilt at
    `input_size x input_size` from the metadata and loads the file's
    weights, resampled where they are tied to the patch grid; the metadata
    returned says the new size. The model is loaded without its training
    state (optimizer, loss), ready for inference, export or a new `compile`.

    Example:

    ```python
    model, meta = load_model("runs/mixer_t4-digits-default-1a2b3c4d")
    meta.class_names, meta.preprocessing.input_size
    ```
    """
    path = model_file(path)
    metadata = read_metadata(path)
    if input_size is None or (metadata and input_size == metadata.preprocessing.input_size):
        return keras.saving.load_model(path, compile=False), metadata
    if metadata is None:
        raise ValueError(
            f"{path!r} has no keras_mlp metadata, so it cannot be rebuilt at "
            f"input_size={input_size}: use its own input size."
        )
    metadata = metadata.at_input_size(input_size)
    return metadata.build(weights=path), metadata
