"""Published ResMLP weights: the official release (facebookresearch/deit,
README_resmlp.md). timm points at the same files under its own tags
(`fb_in1k`, `fb_distilled_in1k`, `fb_in22k_ft_in1k`, `fb_dino`).

The files are `{"model": state_dict}` in the official layout; no digest is
published for them. Tags download timm's `model.safetensors` of the same
weights from the Hub first (its layout loads alike) and fall back to the
official file. All were evaluated as DeiT evaluates: ImageNet mean/std,
bicubic resize, center crop 0.875.
"""

from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.weights.records import PretrainedWeights

_DEIT = "https://dl.fbaipublicfiles.com/deit"
# timm's copies on the Hugging Face Hub (`timm/<arch>.<tag>`), fetched first.
_TIMM_ARCHS = {
    "resmlp_s12": "resmlp_12_224",
    "resmlp_s24": "resmlp_24_224",
    "resmlp_s36": "resmlp_36_224",
    "resmlp_b24": "resmlp_big_24_224",
}
_TIMM_TAGS = {
    "imagenet1k": "fb_in1k",
    "imagenet1k_distilled": "fb_distilled_in1k",
    "imagenet1k_from22k": "fb_in22k_ft_in1k",
    "imagenet1k_dino": "fb_dino",
}
_DESCRIPTIONS = {
    "imagenet1k": "Official: ImageNet-1k.",
    "imagenet1k_distilled": "Official: ImageNet-1k, distilled from a RegNetY-16GF as DeiT does.",
    "imagenet1k_from22k": "Official: ImageNet-22k pre-training, ImageNet-1k fine-tuning.",
    "imagenet1k_dino": "Official: DINO self-supervised (arXiv 2104.14294), ImageNet-1k head.",
}


def _official(model, tag, file):
    return PretrainedWeights(
        model=model,
        tag=tag,
        url=f"{_DEIT}/{file}",
        sha256=None,
        classes=1000,
        labels="imagenet1k",
        preprocessing=IMAGENET,
        description=_DESCRIPTIONS[tag],
        hf_hub_id=f"timm/{_TIMM_ARCHS[model]}.{_TIMM_TAGS[tag]}",
    )


RECORDS = (
    _official("resmlp_s12", "imagenet1k", "resmlp_12_no_dist.pth"),
    _official("resmlp_s12", "imagenet1k_distilled", "resmlp_12_dist.pth"),
    _official("resmlp_s12", "imagenet1k_dino", "resmlp_12_dino.pth"),
    _official("resmlp_s24", "imagenet1k", "resmlp_24_no_dist.pth"),
    _official("resmlp_s24", "imagenet1k_distilled", "resmlp_24_dist.pth"),
    _official("resmlp_s24", "imagenet1k_dino", "resmlp_24_dino.pth"),
    _official("resmlp_s36", "imagenet1k", "resmlp_36_no_dist.pth"),
    _official("resmlp_s36", "imagenet1k_distilled", "resmlp_36_dist.pth"),
    _official("resmlp_b24", "imagenet1k", "resmlpB_24_no_dist.pth"),
    _official("resmlp_b24", "imagenet1k_distilled", "resmlpB_24_dist.pth"),
    _official("resmlp_b24", "imagenet1k_from22k", "resmlpB_24_22k.pth"),
)
