"""The training loop behind `examples/train.py` and `examples/finetune.py`."""

import dataclasses
import os
import time

import keras

from keras_mlp.data import pipeline, sources
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.models.registry import create_model
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training.recipes import get_recipe
from keras_mlp.training.schedules import WarmupDecay
from keras_mlp.training.strategy import get_strategy
from keras_mlp.weights.loading import WeightsSource

MIXED_PRECISION = (None, "mixed_bfloat16", "mixed_float16")


@dataclasses.dataclass
class TrainConfig:
    """Everything a run depends on; `None` fields come from the recipe."""

    model: str = "mixer_t4"
    dataset: str = "digits"
    recipe: str = "default"
    epochs: int | None = None
    batch_size: int | None = None
    image_size: int | None = None
    weights: str | None = None
    strategy: str = "auto"
    mixed_precision: str | None = None
    model_dir: str | None = None
    resume: bool = True
    data_dir: str | None = None
    eval_split: str | None = None
    skip_corrupt: bool = False
    seed: int = 0
    deterministic: bool = False
    steps_per_epoch: int | None = None
    verbose: int | str = "auto"


def normalization(dataset, record=None):
    """The input pipeline: the weights' own, else defaults.

    Images from scratch are mapped to [-1, 1], as in the Mixer and ViT code.
    """
    if record is not None:
        return record.preprocessing
    if dataset == "digits":  # 8x8 scans: upscale whole, no crop
        return INCEPTION.replace(crop_pct=1.0, interpolation="bilinear")
    return INCEPTION


def _model_dir(config):
    if config.model_dir is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return os.path.join("runs", f"{config.model}-{config.dataset.replace('/', '_')}-{stamp}")
    model_dir = config.model_dir
    if config.strategy == "multi_worker":
        from keras_mlp.training import multi_worker

        if not multi_worker.is_chief():
            # Every worker keeps its own backup to resume from; only the
            # chief's files are the run's.
            model_dir = os.path.join(model_dir, "workers", multi_worker.task_name())
    backup = os.path.join(model_dir, "backup")
    if os.path.isdir(backup) and os.listdir(backup):
        if not config.resume:
            raise ValueError(
                f"{model_dir} holds an unfinished run and --noresume was "
                "given. Drop --noresume to continue it, or choose another "
                "--model_dir; nothing was overwritten."
            )
        print(f"Resuming the unfinished run in {model_dir}.")
    return model_dir


def _optimizer(recipe, batch_size, total_steps, steps_per_epoch):
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


def train(config, callbacks=()):
    """Trains `config.model` and evaluates it; returns `(model, results)`.

    `callbacks` run after the standard ones (backup, checkpoints, logs), so
    they see every epoch the run has already saved. `results` holds the final
    evaluation metrics and the paths written.
    """
    recipe = get_recipe(config.recipe)
    if config.mixed_precision not in MIXED_PRECISION:
        raise ValueError(
            f"`mixed_precision` must be one of {MIXED_PRECISION}. "
            f"Received: mixed_precision={config.mixed_precision!r}"
        )
    if config.strategy == "multi_worker" and config.model_dir is None:
        raise ValueError(
            "strategy='multi_worker' needs a `model_dir` that every worker is "
            "given (--model_dir): each would otherwise stamp its own."
        )
    # MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    scope, replicas = get_strategy(config.strategy)
    epochs = config.epochs or recipe.epochs
    batch_size = config.batch_size or recipe.batch_size
    image_size = config.image_size or recipe.image_size
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(config.mixed_precision)
    model_dir = _model_dir(config)
    os.makedirs(model_dir, exist_ok=True)

    train_split = sources.load_dataset(
        config.dataset, "train", config.data_dir, config.skip_corrupt, shuffle_files=True
    )
    eval_split_name = config.eval_split or sources.eval_split_name(config.dataset, config.data_dir)
    eval_split = sources.load_dataset(config.dataset, eval_split_name, config.data_dir, config.skip_corrupt)
    num_classes = train_split.info.num_classes
    record = WeightsSource(config.weights, config.model).record if config.weights else None
    prep = normalization(config.dataset, record)
    epoch_seed = pipeline.EpochSeed()
    common = dict(
        image_size=image_size,
        batch_size=batch_size,
        mean=prep.mean,
        std=prep.std,
        num_classes=num_classes,
        interpolation=prep.interpolation,
        seed=config.seed,
    )
    train_ds = pipeline.make_dataset(
        train_split, True, augmentation=recipe.augmentation, epoch_seed=epoch_seed, **common
    )
    eval_ds = pipeline.make_dataset(eval_split, False, crop_pct=prep.crop_pct, **common)
    steps_per_epoch = config.steps_per_epoch or max(train_split.info.num_examples // batch_size, 1)

    with scope:
        model = create_model(
            config.model,
            weights=config.weights,
            input_shape=(image_size, image_size, 3),
            classes=num_classes,
            classifier_activation=None,
            drop_path_rate=recipe.drop_path_rate,
        )
        optimizer = _optimizer(recipe, batch_size, steps_per_epoch * epochs, steps_per_epoch)
        if config.mixed_precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        if num_classes > 5:
            metrics.append(keras.metrics.TopKCategoricalAccuracy(5, name="top5"))
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.CategoricalCrossentropy(
                from_logits=True, label_smoothing=recipe.label_smoothing
            ),
            metrics=metrics,
        )
    print(
        f"Training {config.model} on {config.dataset} ({train_split.info.num_examples} "
        f"images, {num_classes} classes) with recipe {config.recipe!r}: {epochs} epochs, "
        f"global batch {batch_size} on {replicas} replica(s). Run directory: {model_dir}"
    )
    model.fit(
        train_ds.repeat() if config.steps_per_epoch else train_ds,
        validation_data=eval_ds,
        epochs=epochs,
        steps_per_epoch=config.steps_per_epoch,
        callbacks=[*callbacks_lib.standard_callbacks(model_dir, extra=[epoch_seed]), *callbacks],
        verbose=config.verbose,
    )
    results = model.evaluate(eval_ds, return_dict=True, verbose=0)
    final_path = os.path.join(model_dir, "final.keras")
    model.save(final_path)
    results.update(model_dir=model_dir, final_model=final_path)
    return model, results


def evaluate(model, dataset, split, image_size, weights_record=None, batch_size=256, data_dir=None):
    """Top-1 / top-5 accuracy of `model` on a split, with the eval pipeline."""
    data = sources.load_dataset(dataset, split, data_dir)
    prep = normalization(dataset, weights_record)
    ds = pipeline.make_dataset(
        data, False, image_size, batch_size, prep.mean, prep.std, data.info.num_classes,
        crop_pct=prep.crop_pct, interpolation=prep.interpolation,
    )
    metrics = [keras.metrics.CategoricalAccuracy(name="top1"),
               keras.metrics.TopKCategoricalAccuracy(min(5, data.info.num_classes), name="top5")]
    for x, y in ds:
        logits = model(x, training=False)
        for metric in metrics:
            metric.update_state(y, logits)
    return {m.name: float(m.result()) for m in metrics}
