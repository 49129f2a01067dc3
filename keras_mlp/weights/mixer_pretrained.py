"""Published MLP-Mixer weights.

Official releases: google-research/vision_transformer, as `.npz` in the public
`mixer_models` bucket (no digest is published for them). timm releases: the
Hugging Face Hub repositories `timm/<arch>.<tag>` (`model.safetensors`, checked
against the Hub's SHA-256), falling back to timm's former GitHub release assets,
whose file names carry the SHA-256 prefix of those `.pth` files.
"""

from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.weights.records import PretrainedWeights

_GCS = "https://storage.googleapis.com/mixer_models"
_TIMM = "https://github.com/rwightman/pytorch-image-models/releases/download"
# The official input pipeline maps pixels to [-1, 1] and resizes without a crop.
_OFFICIAL = dict(
    preprocessing=Preprocessing(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), crop_pct=1.0, interpolation="bilinear"),
    sha256=None,
)


def _arguments(model, **more):
    """Every Mixer record was trained at 224 px: its token MLPs on that grid."""
    side = 224 // int(model[-2:])
    return dict(token_mixing_grid=(side, side), **more)


_GOOG_TIMM = Preprocessing(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), interpolation="bicubic")
_MIIL_TIMM = Preprocessing(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), interpolation="bilinear")


def _official(model, tag, folder, file, classes, labels, description):
    return PretrainedWeights(
        model=model,
        tag=tag,
        url=f"{_GCS}/{folder}/{file}.npz",
        classes=classes,
        labels=labels,
        description=description,
        arguments=_arguments(model, gelu_approximate=True),
        **_OFFICIAL,
    )


def _timm(model, tag, url, sha256, classes, labels, preprocessing, description):
    return PretrainedWeights(
        model=model,
        tag=tag,
        url=f"{_TIMM}/{url}",
        sha256=sha256,
        classes=classes,
        labels=labels,
        description=description,
        preprocessing=preprocessing,
        arguments=_arguments(model),
        # timm names these architectures `<model>_224`.
        hf_hub_id=f"timm/{model}_224.{tag}",
    )


RECORDS = (
    _official("mixer_b16", "imagenet1k", "imagenet1k", "Mixer-B_16", 1000, "imagenet1k",
              "Official: ImageNet-21k pre-training, ImageNet-1k fine-tuning."),
    _official("mixer_l16", "imagenet1k", "imagenet1k", "Mixer-L_16", 1000, "imagenet1k",
              "Official: ImageNet-21k pre-training, ImageNet-1k fine-tuning."),
    _official("mixer_b16", "imagenet21k", "imagenet21k", "Mixer-B_16", 21843,
              "imagenet21k_goog", "Official: ImageNet-21k pre-training."),
    _official("mixer_l16", "imagenet21k", "imagenet21k", "Mixer-L_16", 21843,
              "imagenet21k_goog", "Official: ImageNet-21k pre-training."),
    _official("mixer_b16", "sam", "sam", "Mixer-B_16", 1000, "imagenet1k",
              "Official: ImageNet-1k from scratch with SAM (arXiv 2106.01548)."),
    _official("mixer_b32", "sam", "sam", "Mixer-B_32", 1000, "imagenet1k",
              "Official: ImageNet-1k from scratch with SAM (arXiv 2106.01548)."),
    *(
        _official(model, "gsam", "gsam", file, 1000, "imagenet1k",
                  "Official: ImageNet-1k from scratch with GSAM (arXiv 2203.08065).")
        for model, file in (
            ("mixer_s16", "Mixer-S_16"),
            ("mixer_s32", "Mixer-S_32"),
            ("mixer_b16", "Mixer-B_16"),
            ("mixer_b32", "Mixer-B_32"),
        )
    ),
    _timm("mixer_b16", "goog_in21k_ft_in1k", "v0.1-vitjx/jx_mixer_b16_224-76587d61.pth",
          "76587d61", 1000, "imagenet1k", _GOOG_TIMM,
          "timm port of the official ImageNet-21k -> 1k weights."),
    _timm("mixer_b16", "goog_in21k", "v0.1-vitjx/jx_mixer_b16_224_in21k-617b3de2.pth",
          "617b3de2", 21843, "imagenet21k_goog", _GOOG_TIMM,
          "timm port of the official ImageNet-21k weights."),
    _timm("mixer_l16", "goog_in21k_ft_in1k", "v0.1-vitjx/jx_mixer_l16_224-92f9adc4.pth",
          "92f9adc4", 1000, "imagenet1k", _GOOG_TIMM,
          "timm port of the official ImageNet-21k -> 1k weights."),
    _timm("mixer_l16", "goog_in21k", "v0.1-vitjx/jx_mixer_l16_224_in21k-846aa33c.pth",
          "846aa33c", 21843, "imagenet21k_goog", _GOOG_TIMM,
          "timm port of the official ImageNet-21k weights."),
    _timm("mixer_b16", "miil_in21k", "v0.1-tresnet/mixer_b16_224_miil_in21k-2a558a71.pth",
          "2a558a71", 11221, "imagenet21k_miil", _MIIL_TIMM,
          "Alibaba-MIIL ImageNet-21k-P pre-training (arXiv 2104.10972)."),
    _timm("mixer_b16", "miil_in21k_ft_in1k", "v0.1-tresnet/mixer_b16_224_miil-9229a591.pth",
          "9229a591", 1000, "imagenet1k", _MIIL_TIMM,
          "Alibaba-MIIL ImageNet-21k-P pre-training, ImageNet-1k fine-tuning."),
)
