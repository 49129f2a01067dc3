"""Published gMLP weights: timm's release (the paper released none).

timm trained `gmlp_s16_224` itself, with its `ra3` recipe. The tag downloads
timm's `model.safetensors` from the Hugging Face Hub first and falls back to
the GitHub release, whose file name carries the SHA-256 prefix. Inputs are
mapped to [-1, 1] (mean and std 0.5), bicubic resize, center crop 0.875, as
timm's config records.
"""

from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.weights.records import PretrainedWeights

_TIMM = "https://github.com/rwightman/pytorch-image-models/releases/download"

RECORDS = (
    PretrainedWeights(
        model="gmlp_s16",
        tag="ra3_in1k",
        url=f"{_TIMM}/v0.1-weights/gmlp_s16_224_raa-10536d42.pth",
        sha256="10536d42",
        classes=1000,
        labels="imagenet1k",
        preprocessing=INCEPTION,
        description="timm: ImageNet-1k, trained by timm (its `ra3` recipe).",
        hf_hub_id="timm/gmlp_s16_224.ra3_in1k",
    ),
)
