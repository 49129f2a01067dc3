"""Named training recipes: optimiser, schedule, regularisation, augmentation.

Learning rates are given for `base_batch_size` and scale linearly with the
global batch size actually used (Goyal et al., 2017).
"""

import dataclasses

import keras

from keras_mlp.data.pipeline import Augmentation
from keras_mlp.training.schedules import WarmupDecay

_INCEPTION_CROP = (0.08, 1.0)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A documented training configuration.

    Attributes:
        description: where the numbers come from.
        optimizer: `"adam"`, `"adamw"` or `"sgd"` (momentum 0.9).
        learning_rate: peak learning rate at `base_batch_size`.
        base_batch_size: batch size `learning_rate` refers to.
        weight_decay: decoupled weight decay.
        warmup_epochs, warmup_steps: linear warm-up length (steps win if set).
        decay: `"cosine"` or `"linear"` to zero after warm-up.
        global_clipnorm: gradient clipping by global norm, or `None`.
        label_smoothing: of the cross-entropy.
        drop_path_rate: stochastic depth of the model.
        augmentation: a `keras_mlp.data.Augmentation`.
        batch_size, epochs, image_size: defaults for the flags.
    """

    description: str
    optimizer: str
    learning_rate: float
    base_batch_size: int
    weight_decay: float = 0.0
    warmup_epochs: float = 0.0
    warmup_steps: int | None = None
    decay: str = "cosine"
    global_clipnorm: float | None = None
    label_smoothing: float = 0.0
    drop_path_rate: float = 0.0
    augmentation: Augmentation = Augmentation()
    batch_size: int = 256
    epochs: int = 300
    image_size: int = 224

    def scaled_learning_rate(self, batch_size):
        return self.learning_rate * batch_size / self.base_batch_size


@dataclasses.dataclass(kw_only=True)
class RecipeOverrides:
    """The settings of a run config that trains by a `Recipe` (`TrainConfig`,
    `FaceTrainConfig`): `None` takes the recipe's."""

    epochs: int | None = None
    batch_size: int | None = None
    image_size: int | None = None


RECIPES = {
    "default": Recipe(
        description="Quick offline run for the embedded digits (MixerT4 at 32x32).",
        optimizer="adamw",
        learning_rate=2e-3,
        base_batch_size=64,
        weight_decay=0.05,
        warmup_epochs=3,
        batch_size=64,
        epochs=30,
        image_size=32,
    ),
    "mixer_imagenet": Recipe(
        description=(
            "MLP-Mixer paper (Sec. 3, App. B): Adam (0.9, 0.999), 10k warm-up steps, "
            "linear decay, lr 1e-3 at batch 4096, weight decay 0.1, clipping at "
            "global norm 1, RandAugment, mixup, stochastic depth 0.1."
        ),
        optimizer="adam",
        learning_rate=1e-3,
        base_batch_size=4096,
        weight_decay=0.1,
        warmup_steps=10_000,
        decay="linear",
        global_clipnorm=1.0,
        drop_path_rate=0.1,
        augmentation=Augmentation(
            random_resized_crop=_INCEPTION_CROP,
            horizontal_flip=True,
            randaugment_ops=2,
            randaugment_magnitude=0.5,
            mixup_alpha=0.5,
        ),
        batch_size=4096,
        epochs=300,
    ),
    "deit": Recipe(
        description=(
            "DeiT (Touvron et al., 2021), as used by the feed-forward-only ViT "
            "paper: AdamW lr 5e-4 at batch 512, weight decay 0.05, cosine, 5 "
            "warm-up epochs, label smoothing 0.1, RandAugment, mixup 0.8 / "
            "cutmix 1.0, random erasing 0.25, stochastic depth 0.1."
        ),
        optimizer="adamw",
        learning_rate=5e-4,
        base_batch_size=512,
        weight_decay=0.05,
        warmup_epochs=5,
        label_smoothing=0.1,
        drop_path_rate=0.1,
        augmentation=Augmentation(
            random_resized_crop=_INCEPTION_CROP,
            horizontal_flip=True,
            randaugment_ops=2,
            randaugment_magnitude=0.9,
            mixup_alpha=0.8,
            cutmix_alpha=1.0,
            random_erasing=0.25,
        ),
        batch_size=1024,
        epochs=300,
    ),
    "repmlpnet": Recipe(
        description=(
            "RepMLPNet (Ding et al., 2022): AdamW lr 1e-3 at batch 256, weight "
            "decay 0.1, 10 warm-up epochs, cosine, 100 epochs, label smoothing "
            "0.1, mixup 0.4 / cutmix 1.0."
        ),
        optimizer="adamw",
        learning_rate=1e-3,
        base_batch_size=256,
        weight_decay=0.1,
        warmup_epochs=10,
        label_smoothing=0.1,
        augmentation=Augmentation(
            random_resized_crop=_INCEPTION_CROP,
            horizontal_flip=True,
            mixup_alpha=0.4,
            cutmix_alpha=1.0,
        ),
        batch_size=256,
        epochs=100,
    ),
    "finetune": Recipe(
        description=(
            "MLP-Mixer / ViT fine-tuning: SGD momentum 0.9, lr 0.01 at batch "
            "512, cosine, no weight decay, clipping at global norm 1."
        ),
        optimizer="sgd",
        learning_rate=0.01,
        base_batch_size=512,
        decay="cosine",
        global_clipnorm=1.0,
        augmentation=Augmentation(random_resized_crop=_INCEPTION_CROP, horizontal_flip=True),
        batch_size=512,
        epochs=10,
    ),
}


def get_recipe(name):
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}. Available: {sorted(RECIPES)}")
    return RECIPES[name]


def recipe_optimizer(recipe, batch_size, total_steps, steps_per_epoch):
    """The recipe's optimizer with its warm-up and decay schedule."""
    warmup = recipe.warmup_steps or int(recipe.warmup_epochs * steps_per_epoch)
    warmup = min(warmup, total_steps // 2)
    schedule = WarmupDecay(
        recipe.scaled_learning_rate(batch_size), total_steps, warmup, recipe.decay
    )
    common = dict(learning_rate=schedule, global_clipnorm=recipe.global_clipnorm)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(beta_1=0.9, beta_2=0.999, weight_decay=recipe.weight_decay or None, **common)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(weight_decay=recipe.weight_decay, **common)
    return keras.optimizers.SGD(momentum=0.9, weight_decay=recipe.weight_decay or None, **common)
