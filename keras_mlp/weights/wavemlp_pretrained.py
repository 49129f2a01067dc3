"""Published Wave-MLP weights: the official release (huawei-noah/CV-Backbones,
tag `wavemlp`).

The files are timm `train.py` checkpoints (`state_dict`, and
`state_dict_ema` beside it; the plain `state_dict` is loaded, as timm's
`validate.py` does by default); no digest is published for them. All were
evaluated as the official `default_cfg` says: ImageNet mean/std, bicubic
resize, center crop 0.9.
"""

import dataclasses

from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.weights.records import PretrainedWeights

_RELEASE = "https://github.com/huawei-noah/CV-Backbones/releases/download/wavemlp"
_FILES = {
    "wavemlp_t_dw": ("WaveMLP_T_dw.pth.tar", 80.1),
    "wavemlp_t": ("WaveMLP_T.pth.tar", 80.9),
    "wavemlp_s": ("WaveMLP_S.pth.tar", 82.9),
    "wavemlp_m": ("WaveMLP_M.pth.tar", 83.3),
}

RECORDS = tuple(
    PretrainedWeights(
        model=model,
        tag="imagenet1k",
        url=f"{_RELEASE}/{file}",
        sha256=None,
        classes=1000,
        labels="imagenet1k",
        preprocessing=dataclasses.replace(IMAGENET, crop_pct=0.9),
        description=f"Official: ImageNet-1k, {accuracy}% top-1.",
    )
    for model, (file, accuracy) in _FILES.items()
)
