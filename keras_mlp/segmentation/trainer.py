"""The training loop behind `examples/train_segmentation.py`.

The classification runs' machinery, for segmenters: the run directory named
by the run's settings, its lock, resumption, per-epoch checkpoints and
backup, TensorBoard, the learning curves and `final.keras` with metadata
(`keras_mlp.classification.trainer`). The recipe is the segmentation papers':
AdamW with poly learning-rate decay (power 0.9), cross-entropy that ignores
label 255, joint image-and-mask augmentation.
"""

import dataclasses

import keras

from keras_mlp import validation
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.segmentation import HEADS
from keras_mlp.segmentation import data
from keras_mlp.segmentation.metrics import SegmentationMetrics, evaluate_images
from keras_mlp.segmentation.pipeline import SCALE_RANGE, make_dataset
from keras_mlp.segmentation.predict import Segmenter
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training.run_dir import plan_head_run
from keras_mlp.training.run_session import PreparedRun, RunOptions, run_once
from keras_mlp.training.task_splits import load_task_splits

# What a segmenter's metadata says it is (`extra["task"]`).
TASK = "segmentation"

DIGITS_SCALE_RANGE = (0.75, 1.25)


@dataclasses.dataclass
class SegmentationConfig(RunOptions):
    """Everything a segmentation run depends on.

    The defaults train the embedded digits task in minutes on 2 CPU cores.
    """

    backbone: str = "mixer_t4"
    head: str = "upernet"
    channels: int = 32
    dataset: str = "digits"
    classes: int | None = None
    epochs: int = 12
    batch_size: int = 16
    image_size: int = 48
    learning_rate: float = 3e-3
    weight_decay: float = 0.01
    flip: bool | None = None
    backbone_weights: str | None = None
    data_dir: str | None = None
    download: bool = False


def _plan(config):
    validation.one_of("head", config.head, tuple(HEADS))
    for name in ("epochs", "batch_size", "image_size", "channels"):
        validation.positive_int(name, getattr(config, name))
    validation.positive_number("learning_rate", config.learning_rate)
    return plan_head_run(
        config, config.head, channels=config.channels, classes=config.classes,
        learning_rate=config.learning_rate, weight_decay=config.weight_decay, flip=config.flip,
    )


def build_segmenter(config, classes):
    """The compiled segmenter of `config`: AdamW, poly decay, ignore 255."""
    model = HEADS[config.head](
        config.backbone, classes=classes, backbone_weights=config.backbone_weights,
        input_shape=(config.image_size, config.image_size, 3), channels=config.channels,
    )
    return model


def train_segmentation(config, callbacks=()):
    """Trains a segmenter and evaluates it; returns `(model, results)`.

    `results` holds `mean_iou`, `pixel_accuracy`, `class_iou` and the paths
    written. A finished run in the directory is returned as it is.
    """
    plan = _plan(config)
    return run_once(plan, config, lambda: _prepare(plan, config, callbacks))


def _prepare(plan, config, callbacks):
    keras.utils.set_random_seed(config.seed)
    train_split, eval_split, eval_name, classes = load_task_splits(data, config, canvas_size=config.image_size)
    try:
        model = build_segmenter(config, classes)
    except ValueError as e:
        raise ValueError(f"--backbone={config.backbone} with --image_size={config.image_size}: {e}") from e
    steps_per_epoch = config.steps_per_epoch or train_split.num_examples // config.batch_size
    schedule = keras.optimizers.schedules.PolynomialDecay(
        config.learning_rate, steps_per_epoch * config.epochs, end_learning_rate=0.0, power=0.9
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=data.IGNORE_INDEX),
        metrics=[SegmentationMetrics(classes, name="miou")],
    )
    model.optimizer.build(model.trainable_variables)
    # Flipping a digit makes another glyph, and the canvases already hold
    # digits of many sizes: the embedded task trains unflipped, rescaled little.
    digits = config.dataset == "digits"
    flip = not digits if config.flip is None else config.flip
    scale_range = DIGITS_SCALE_RANGE if digits else SCALE_RANGE
    common = dict(image_size=config.image_size, batch_size=config.batch_size, mean=INCEPTION.mean, std=INCEPTION.std)
    train_ds = make_dataset(train_split, True, seed=config.seed, flip=flip, scale_range=scale_range, **common)
    eval_ds = make_dataset(eval_split, False, **common)
    metadata = ModelMetadata(
        config.backbone, {"input_shape": (config.image_size, config.image_size, 3), "classes": classes},
        INCEPTION.replace(input_size=config.image_size, crop_pct=1.0), train_split.class_names,
        extra=dict(task=TASK, head=config.head, channels=config.channels,
                   dataset=config.dataset, eval_split=eval_name, epochs=config.epochs,
                   batch_size=config.batch_size, ignore_index=data.IGNORE_INDEX),
    )

    def fit(initial_epoch):
        model.fit(
            train_ds.repeat() if config.steps_per_epoch else train_ds,
            validation_data=eval_ds,
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=config.steps_per_epoch,
            callbacks=[*callbacks_lib.standard_callbacks(plan.run, metadata, initial_epoch), *callbacks],
            # The dataset shuffles itself; fit's own shuffle only warns on one.
            shuffle=False,
            verbose=config.verbose,
        )
        # Scored at each test image's own size, as the papers report mIoU.
        return model, metadata, evaluate_images(Segmenter(model, metadata), eval_split.dataset)

    description = (
        f"{model.name} on {config.dataset} ({train_split.num_examples} images, "
        f"{classes} classes): {config.epochs} epochs, batch {config.batch_size}"
    )
    return PreparedRun(model, description, fit)
