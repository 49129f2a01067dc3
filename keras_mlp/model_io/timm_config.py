"""timm's Hub `config.json` as keras_mlp `ModelMetadata`.

timm's `save_for_hf` (timm/models/_hub.py) writes `architecture`,
`num_classes`, optional `label_names`, `global_pool` and a `pretrained_cfg`
with the input pipeline (`mean`, `std`, `crop_pct`, `interpolation`,
`input_size` as `[3, H, W]`). The weights beside it are a timm state dict,
which the family's key tables (`*_checkpoints.py`) convert.
"""

import warnings

from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.models.factory import families
from keras_mlp.weights.labels import head_names

# Head sizes of the ImageNet label sets shipped in keras_mlp/weights/labels,
# the inference timm's `infer_imagenet_subset` makes for configs without labels.
_IMAGENET_LABEL_SETS = {1000: "imagenet1k", 11221: "imagenet21k_miil", 21843: "imagenet21k_goog"}


def timm_architectures():
    """`{timm architecture: TimmArchitecture}` the registered families declare."""
    return {name: arch for family in families() for name, arch in family.timm_architectures.items()}


def supported_architectures():
    """timm architecture names keras_mlp implements."""
    return sorted(timm_architectures())


def metadata_from_timm(config, source):
    """The `ModelMetadata` that rebuilds the model a timm `config.json` describes.

    Args:
        config: the parsed `config.json`.
        source: where it came from, for messages.
    """
    name = config["architecture"]
    arch = timm_architectures().get(name)
    if arch is None:
        raise ValueError(
            f"{source} holds a timm {name!r}, an architecture keras_mlp does not "
            f"implement. Supported timm architectures: {supported_architectures()}."
        )
    pool = config.get("global_pool", arch.global_pool)
    if pool != arch.global_pool:
        raise ValueError(
            f"{source} holds a {name} with global_pool={pool!r}; keras_mlp's "
            f"{arch.model} pools with {arch.global_pool!r}, so its outputs would differ."
        )
    cfg = config["pretrained_cfg"]
    channels, height, width = cfg["input_size"]
    if channels != 3 or height != width:
        raise ValueError(
            f"{source} takes inputs of shape {cfg['input_size']} (channels, "
            "height, width); keras_mlp's pipelines take square RGB images."
        )
    if cfg.get("crop_mode", "center") != "center":
        warnings.warn(
            f"{source} was evaluated with crop_mode={cfg['crop_mode']!r}; "
            "keras_mlp's pipeline crops at the center.",
            stacklevel=2,
        )
    preprocessing = Preprocessing(
        mean=cfg["mean"],
        std=cfg["std"],
        crop_pct=cfg["crop_pct"],
        interpolation=cfg["interpolation"],
        input_size=height,
    )
    classes = config.get("num_classes", cfg.get("num_classes"))
    return ModelMetadata(
        model=arch.model,
        arguments={**arch.arguments, "classes": classes, "input_shape": (height, width, 3)},
        preprocessing=preprocessing,
        class_names=_label_names(config, classes),
        extra={"source": source, "timm_architecture": name},
    )


def _label_names(config, classes):
    """timm's `label_names`: a list, or `{index: name}` where ids have gaps."""
    names = config.get("label_names")
    if isinstance(names, dict):
        return [names.get(str(i), str(i)) for i in range(classes)]
    if names:
        return names
    label_set = _IMAGENET_LABEL_SETS.get(classes)
    if label_set is None:
        return None
    return list(head_names(label_set))
