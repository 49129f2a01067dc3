"""What a saved keras_mlp model is, beside its weights.

A trained or shared model is only usable with the facts around it: which
registered model and constructor arguments rebuild it, its class names, and
the input pipeline it was trained with. `ModelMetadata` records them as
JSON; training runs write it next to their models, `save_pretrained`
writes it as a Hub folder's `config.json`, and every script reads it back.
"""

import dataclasses
import json
import os

from keras_mlp.data.preprocessing import Preprocessing

FORMAT_VERSION = 1


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
        from keras_mlp.models.registry import create_model

        return create_model(self.model, **{**self.arguments, **overrides})

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
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                config = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path!r} is not valid JSON ({e}): the file is corrupt.") from e
        return cls.from_dict(config, source=repr(path))
