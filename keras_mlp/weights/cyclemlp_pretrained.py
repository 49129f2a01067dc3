"""Published CycleMLP weights: the official release (ShoufaChen/CycleMLP, `v0.1`).

The files are `{"model": state_dict}` in the official layout; no digest is
published for them. They were evaluated as each model's official
`default_cfg` says: ImageNet mean/std, bicubic resize, center crop 0.9
(B1-B3) or 0.875 (B4, B5).
"""

import dataclasses

from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.weights.records import PretrainedWeights

_RELEASE = "https://github.com/ShoufaChen/CycleMLP/releases/download/v0.1"
_ACCURACY = {"b1": 78.9, "b2": 81.6, "b3": 82.4, "b4": 83.0, "b5": 83.2}


def _official(variant, crop_pct):
    return PretrainedWeights(
        model=f"cyclemlp_{variant}",
        tag="imagenet1k",
        url=f"{_RELEASE}/CycleMLP_{variant.upper()}.pth",
        sha256=None,
        classes=1000,
        labels="imagenet1k",
        preprocessing=dataclasses.replace(IMAGENET, crop_pct=crop_pct),
        description=f"Official: ImageNet-1k, {_ACCURACY[variant]}% top-1.",
    )


RECORDS = (
    _official("b1", 0.9),
    _official("b2", 0.9),
    _official("b3", 0.9),
    _official("b4", 0.875),
    _official("b5", 0.875),
)
