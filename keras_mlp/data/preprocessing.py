"""How images must look before they enter a model: one record for every use.

The same `Preprocessing` describes a pretrained checkpoint's input pipeline,
the pipeline a training run used (saved with its model), and what
evaluation, prediction and export feed to the model.
"""

import dataclasses

import numpy as np
from keras import ops

INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "area", "lanczos3", "lanczos5")


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """An input pipeline: resize, center crop, normalise.

    Attributes:
        mean, std: per-channel normalisation of images scaled to [0, 1]:
            the model sees `(pixels / 255 - mean) / std`.
        crop_pct: evaluation center-crop fraction: the shorter side is
            resized to `input_size / crop_pct`, then the central
            `input_size` square is kept (timm's convention; 1.0 resizes
            without cropping).
        interpolation: resize method, one of `INTERPOLATIONS`.
        input_size: side of the square model input.

    Example:

    >>> Preprocessing.from_dict(IMAGENET.to_dict()) == IMAGENET
    True
    """

    mean: tuple = (0.5, 0.5, 0.5)
    std: tuple = (0.5, 0.5, 0.5)
    crop_pct: float = 0.875
    interpolation: str = "bicubic"
    input_size: int = 224

    def __post_init__(self):
        # Lists from JSON become tuples, so records compare and hash alike.
        object.__setattr__(self, "mean", tuple(float(m) for m in self.mean))
        object.__setattr__(self, "std", tuple(float(s) for s in self.std))
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError(
                "`mean` and `std` need one value per RGB channel. "
                f"Received: mean={self.mean}, std={self.std}"
            )
        if any(s <= 0 for s in self.std):
            raise ValueError(f"`std` must be positive. Received: std={self.std}")
        if not 0.0 < self.crop_pct <= 1.0:
            raise ValueError(
                f"`crop_pct` must be in (0, 1]. Received: crop_pct={self.crop_pct}"
            )
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` must be one of {INTERPOLATIONS}. "
                f"Received: interpolation={self.interpolation!r}"
            )
        if not isinstance(self.input_size, int) or self.input_size <= 0:
            raise ValueError(
                f"`input_size` must be a positive int. Received: input_size={self.input_size!r}"
            )

    def to_dict(self):
        """JSON-ready fields."""
        return {**dataclasses.asdict(self), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, config):
        """Inverse of `to_dict`; unknown keys are an error naming them."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - fields)
        if unknown:
            raise ValueError(
                f"Unknown preprocessing fields {unknown}; expected some of {sorted(fields)}."
            )
        return cls(**config)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def normalize(self, images):
        """`uint8`-range RGB `(..., height, width, 3)` -> float32 model input."""
        images = ops.cast(images, "float32") / 255.0
        mean = ops.convert_to_tensor(np.array(self.mean, "float32"))
        std = ops.convert_to_tensor(np.array(self.std, "float32"))
        return (images - mean) / std


# timm's IMAGENET_DEFAULT_MEAN/STD with its default evaluation crop: DeiT,
# RepMLPNet, ResMLP and most ImageNet training code.
IMAGENET = Preprocessing(
    mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), crop_pct=0.875, interpolation="bicubic"
)
# Pixels mapped to [-1, 1], as the official Mixer and ViT code does.
INCEPTION = Preprocessing(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), crop_pct=0.875, interpolation="bicubic")
