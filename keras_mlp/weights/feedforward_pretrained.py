"""Published weights of the feed-forward-only ViT and its DeiT baseline.

Feed-forward-only: release v0.0.1 of lukemelas/do-you-even-need-attention
(DeiT training checkpoints, no digest published). DeiT: timm's Hugging Face
Hub copies of the official facebookresearch/deit release
(`timm/deit_*_patch16_224.fb_in1k`, `model.safetensors`, checked against the
Hub's SHA-256), falling back to the release itself, whose file names carry the
SHA-256 prefix of those `.pth` files.
Both were trained with DeiT's recipe and evaluate as DeiT does.
"""

from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.weights.records import PretrainedWeights

_FEEDFORWARD = (
    "https://github.com/lukemelas/do-you-even-need-attention/releases/download/v0.0.1"
)
_DEIT = "https://dl.fbaipublicfiles.com/deit"
_DEIT_EVAL = dict(
    classes=1000,
    labels="imagenet1k",
    preprocessing=IMAGENET,
)

RECORDS = (
    PretrainedWeights(
        model="feedforward_tiny",
        tag="imagenet1k",
        url=f"{_FEEDFORWARD}/linear-tiny-checkpoint.pth",
        sha256=None,
        description="Official: ImageNet-1k with DeiT's recipe, 61.4% top-1.",
        **_DEIT_EVAL,
    ),
    PretrainedWeights(
        model="feedforward_base",
        tag="imagenet1k",
        url=f"{_FEEDFORWARD}/linear-base-checkpoint.pth",
        sha256=None,
        description="Official: ImageNet-1k with DeiT's recipe, 74.9% top-1.",
        **_DEIT_EVAL,
    ),
    PretrainedWeights(
        model="deit_tiny",
        tag="imagenet1k",
        url=f"{_DEIT}/deit_tiny_patch16_224-a1311bcf.pth",
        sha256="a1311bcf",
        hf_hub_id="timm/deit_tiny_patch16_224.fb_in1k",
        description="Official DeiT-Ti (arXiv 2012.12877): ImageNet-1k, 72.2% top-1.",
        **_DEIT_EVAL,
    ),
    PretrainedWeights(
        model="deit_base",
        tag="imagenet1k",
        url=f"{_DEIT}/deit_base_patch16_224-b5f2ef4d.pth",
        sha256="b5f2ef4d",
        hf_hub_id="timm/deit_base_patch16_224.fb_in1k",
        description="Official DeiT-B (arXiv 2012.12877): ImageNet-1k, 81.8% top-1.",
        **_DEIT_EVAL,
    ),
)
