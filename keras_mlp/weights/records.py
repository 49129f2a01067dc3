"""The record of one set of pretrained weights: where it lives, how to feed it.

Plain data, imported by the families' record tables (`*_pretrained.py`) and
by the registry that looks them up.
"""

import dataclasses
import os
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
        gelu_approximate: GELU variant the reference implementation runs.
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
    gelu_approximate: bool = False
    description: str = ""
    hf_hub_id: str | None = None

    @property
    def name(self):
        return f"{self.model}.{self.tag}"

    @property
    def file_name(self):
        # Named after the source, never after the user's model name, so two
        # tags can never collide in the cache.
        base = os.path.basename(urllib.parse.urlparse(self.url).path)
        return f"{self.model}.{self.tag}.{base}"
