"""The record of one set of pretrained weights: where it lives, how to feed it.

Plain data, imported by the families' record tables (`*_pretrained.py`) and
by the registry that looks them up.
"""

import dataclasses
import os
import types
import urllib.parse

from keras_mlp.data.preprocessing import Preprocessing


@dataclasses.dataclass(frozen=True)
class PretrainedWeights:
    """Where a checkpoint lives and how its inputs must look.

    Attributes:
        model: registered model name, e.g. `"mixer_b16"`.
        tag: weights tag, e.g. `"imagenet1k"`.
        url: public download address; with `hf_hub_id`, the fallback when
            the Hub cannot deliver the file.
        sha256: expected SHA-256 of the file at `url`: the full hex digest,
            or a prefix of it (timm and torch.hub publish the first 8 hex
            digits in the file name). `None` where upstream publishes no
            digest.
        classes: size of the checkpoint's classification head.
        labels: name of the label set (see `keras_mlp.weights.labels`).
        preprocessing: the input pipeline the weights were evaluated with
            (a `keras_mlp.data.Preprocessing`: mean/std, crop, interpolation,
            input size).
        arguments: constructor arguments the weights need beyond the
            model's defaults (e.g. `gelu_approximate=True`: the official Flax
            Mixer runs the tanh GELU), applied before the model is built
            unless the caller passes them.
        description: one line on the provenance of the weights.
        hf_hub_id: Hugging Face Hub repository holding the same weights as
            `model.safetensors` (timm's `timm/<arch>.<tag>`), fetched first.
            That file is another file than the one at `url`, so `sha256`
            does not apply to it; it is checked against the SHA-256 the Hub
            publishes for it (see `keras_mlp.weights.hub_files.download`).
    """

    model: str
    tag: str
    url: str
    sha256: str | None
    classes: int
    labels: str
    preprocessing: Preprocessing
    arguments: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    hf_hub_id: str | None = None

    def __post_init__(self):
        # Records are shared module-level constants: nobody may edit one.
        object.__setattr__(self, "arguments", types.MappingProxyType(dict(self.arguments)))

    def __hash__(self):
        return hash(self.name)

    @property
    def name(self):
        return f"{self.model}.{self.tag}"

    @property
    def file_name(self):
        # Named after the source, never after the user's model name, so two
        # tags can never collide in the cache.
        base = os.path.basename(urllib.parse.urlparse(self.url).path)
        return f"{self.model}.{self.tag}.{base}"


class WrongModelError(ValueError):
    """Weights of one model given where another model was asked for."""

    def __init__(self, weights, holds, asked):
        self.holds, self.asked = holds, asked
        super().__init__(
            f"`weights={weights}` holds a {holds} model, not {asked}. Drop the model "
            f"name (--model) to use the weights' own, or pass weights of {asked} "
            "(keras_mlp.list_pretrained() lists the tags)."
        )
