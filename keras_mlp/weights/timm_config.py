"""timm's Hub `config.json` as keras_mlp `ModelMetadata`.

timm's `save_for_hf` (timm/models/_hub.py) writes `architecture`,
`num_classes`, optional `label_names`, `global_pool` and a `pretrained_cfg`
with the input pipeline (`mean`, `std`, `crop_pct`, `interpolation`,
`input_size` as `[3, H, W]`). The weights beside it are a timm state dict,
which the family's key tables (`*_checkpoints.py`) convert.
"""

import dataclasses
import warnings

from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.metadata import ModelMetadata
from keras_mlp.weights.labels import head_names


@dataclasses.dataclass(frozen=True)
class TimmArchitecture:
    """The keras_mlp model that computes what a timm architecture computes.

    Attributes:
        model: registered keras_mlp model name.
        global_pool: how timm's model pools before its head; a repository
            that records another pooling is a different model.
        arguments: constructor arguments that make the outputs match
            timm's, beyond classes and input shape.
    """

    model: str
    global_pool: str
    arguments: dict = dataclasses.field(default_factory=dict)


# timm implements Mixer with exact (erf) GELU; the official Flax code uses tanh.
_TIMM_MIXER = dict(gelu_approximate=False)

TIMM_ARCHITECTURES = {
    "mixer_s32_224": TimmArchitecture("mixer_s32", "avg", _TIMM_MIXER),
    "mixer_s16_224": TimmArchitecture("mixer_s16", "avg", _TIMM_MIXER),
    "mixer_b32_224": TimmArchitecture("mixer_b32", "avg", _TIMM_MIXER),
    "mixer_b16_224": TimmArchitecture("mixer_b16", "avg", _TIMM_MIXER),
    "mixer_l32_224": TimmArchitecture("mixer_l32", "avg", _TIMM_MIXER),
    "mixer_l16_224": TimmArchitecture("mixer_l16", "avg", _TIMM_MIXER),
    "deit_tiny_patch16_224": TimmArchitecture("deit_tiny", "token"),
    "deit_base_patch16_224": TimmArchitecture("deit_base", "token"),
    # ResMLP and gMLP (issue #13): usable once those models are registered.
    "resmlp_12_224": TimmArchitecture("resmlp_s12", "avg"),
    "resmlp_24_224": TimmArchitecture("resmlp_s24", "avg"),
    "resmlp_36_224": TimmArchitecture("resmlp_s36", "avg"),
    "resmlp_big_24_224": TimmArchitecture("resmlp_b24", "avg"),
    "gmlp_ti16_224": TimmArchitecture("gmlp_ti16", "avg"),
    "gmlp_s16_224": TimmArchitecture("gmlp_s16", "avg"),
    "gmlp_b16_224": TimmArchitecture("gmlp_b16", "avg"),
}

# Head sizes of the ImageNet label sets shipped in keras_mlp/weights/labels,
# the inference timm's `infer_imagenet_subset` makes for configs without labels.
_IMAGENET_LABEL_SETS = {1000: "imagenet1k", 11221: "imagenet21k_miil", 21843: "imagenet21k_goog"}


def supported_architectures():
    """timm architecture names whose keras_mlp model is registered."""
    from keras_mlp.models.registry import list_models

    registered = set(list_models())
    return sorted(name for name, arch in TIMM_ARCHITECTURES.items() if arch.model in registered)


def metadata_from_timm(config, source):
    """The `ModelMetadata` that rebuilds the model a timm `config.json` describes.

    Args:
        config: the parsed `config.json`.
        source: where it came from, for messages.
    """
    name = config["architecture"]
    arch = TIMM_ARCHITECTURES.get(name)
    if arch is None or name not in supported_architectures():
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
