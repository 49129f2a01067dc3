"""What a `weights` argument is, answered once for every script.

`--weights` of train, evaluate, predict and export, and `from_pretrained`,
all go through `resolve_weights`: a pretrained tag, a checkpoint file, a
training run's `.keras` file or directory, or a Hub repository (`hf://`) or
model folder becomes one `ResolvedWeights` that names the registered model,
the constructor arguments the weights need, their input pipeline, their
class names and what `weights=` loads the arrays from.
"""

import dataclasses
import os

from keras_mlp.model_io.metadata import ModelMetadata, is_model_file, model_file, read_metadata
from keras_mlp.model_io.timm_config import metadata_from_timm
from keras_mlp.models.factory import CONTRACT
from keras_mlp.models.registry import create_model
from keras_mlp.weights import hub_files
from keras_mlp.weights.labels import head_names
from keras_mlp.weights.loading import WeightsSource
from keras_mlp.weights.records import WrongModelError
from keras_mlp.weights.registry import list_pretrained


_CONTRACT = {name for name, _ in CONTRACT}


@dataclasses.dataclass(frozen=True)
class ResolvedWeights:
    """One `weights` argument, resolved.

    Attributes:
        model: registered model name the weights belong to.
        arguments: constructor arguments that rebuild the model the weights
            were saved from (`input_shape`, `classes`, family extras such as
            `gelu_approximate`); `weights` is never among them. Empty for
            no weights.
        preprocessing: the input pipeline the weights expect, or `None`
            when they do not say (a bare checkpoint file, no weights).
        class_names: names of the head's classes in order, or `None` when
            the weights do not say.
        weights: what `weights=` of the constructor loads the arrays from
            (`"model.tag"`, a file path, a Hub reference), or `None`.
        metadata: the `ModelMetadata` of a keras_mlp `.keras` file, run
            directory or Hub repository (its `extra` says how a run was
            trained), else `None`.
    """

    model: str
    arguments: dict = dataclasses.field(default_factory=dict)
    preprocessing: object = None
    class_names: tuple | None = None
    weights: str | None = None
    metadata: ModelMetadata | None = None

    @property
    def classes(self):
        """Size of the weights' head, or `None` when they do not say."""
        if self.class_names is not None:
            return len(self.class_names)
        return self.arguments.get("classes")

    @property
    def extras(self):
        """The `arguments` beyond the constructor contract: the family's own
        (`gelu_approximate`, `token_mixing_grid`, `deploy`, ...), which a
        model built at another size or with another head still needs."""
        return {k: v for k, v in self.arguments.items() if k not in _CONTRACT}

    @property
    def is_saved_model(self):
        """Whether `weights` is a whole keras_mlp `.keras` model with its metadata."""
        return self.metadata is not None and not hub_files.is_reference(self.weights)

    def resized(self, size):
        """The same weights fed `size x size` images (their arrays tied to the
        patch grid are resampled when they load, see docs/resolution.md)."""
        preprocessing = self.preprocessing and self.preprocessing.replace(input_size=size)
        arguments = {**self.arguments, "input_shape": (size, size, 3)}
        return dataclasses.replace(self, arguments=arguments, preprocessing=preprocessing)

    def build(self, **overrides):
        """The registered constructor with `arguments`, `overrides` and the weights."""
        return create_model(self.model, weights=self.weights, **{**self.arguments, **overrides})


def resolve_weights(weights, model=None, default_model=None):
    """The `ResolvedWeights` of a `weights` argument.

    Args:
        weights: `None`, a pretrained tag (`"imagenet1k"` with `model`, or
            `"mixer_b16.imagenet1k"`), a checkpoint path (official, timm,
            `.weights.h5`), a keras_mlp `.keras` file or training run
            directory, or a Hub repository (`"hf://org/name"`) or model
            folder.
        model: the registered model name the caller asks for: required for
            no weights, a short tag and a bare checkpoint; otherwise it must
            be the model the weights hold, or `None`.
        default_model: the model of weights that do not name one when
            `model` is `None` (a training script's default model).

    Raises:
        WrongModelError: the weights hold another model than `model`.
        ValueError: `model` is needed and missing, or `weights` is not valid.
    """
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise ValueError(
            "`weights` must be None, a checkpoint path, a pretrained tag, a .keras "
            f"file, a run directory or a Hub reference. Received: weights={weights!r}"
        )
    weights = None if weights is None else os.fspath(weights)
    metadata = None
    if weights is not None and is_model_file(weights):
        weights = model_file(weights)
        metadata = read_metadata(weights)
    elif weights is not None and hub_files.is_reference(weights):
        metadata = hub_metadata(weights)
    if metadata is not None:
        _check_model(weights, metadata.model, model)
        return ResolvedWeights(
            metadata.model, metadata.arguments, metadata.preprocessing, metadata.class_names,
            weights, metadata,
        )
    if model is None and weights in list_pretrained():
        model = weights.partition(".")[0]
    model = model or default_model
    if model is None:
        raise ValueError(
            f"The model of weights={weights!r} is not known: name it (--model, a "
            "keras_mlp.list_models() name); only a .keras file, a run directory, a Hub "
            "reference and a full pretrained name (model.tag) carry their model."
        )
    source = WeightsSource(weights, model)
    if source.record is None:
        return ResolvedWeights(model, weights=weights)
    record = source.record
    size = record.preprocessing.input_size
    arguments = {**record.arguments, "classes": record.classes, "input_shape": (size, size, 3)}
    names = head_names(record.labels)
    return ResolvedWeights(model, arguments, record.preprocessing, names, record.name)


def hub_metadata(reference):
    """The `ModelMetadata` of a Hub repository or model folder: its
    `config.json`, timm's or keras_mlp's."""
    reference = os.fspath(reference)
    config = hub_files.read_config(reference)
    if hub_files.is_timm_config(config):
        return metadata_from_timm(config, source=reference)
    return ModelMetadata.from_dict(config, source=f"{hub_files.CONFIG_FILE} of {reference}")


def _check_model(weights, holds, asked):
    if asked not in (None, holds):
        raise WrongModelError(weights, holds, asked)
