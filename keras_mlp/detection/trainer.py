"""The training loop behind `examples/train_detection.py`.

The classification runs' machinery, for detectors: the run directory named
by the run's settings, its lock, resumption, per-epoch checkpoints and
backup, TensorBoard, `history.csv`, the learning curves and `final.keras`
with metadata (`keras_mlp.training`). KerasHub's RetinaNet trains with
AdamW and cosine decay; COCO's AP on the held-out split is computed after
every epoch (columns `val_ap`, `val_ap50`, ... of `history.csv`) and at the
end, into `results.json`.
"""

import dataclasses

import keras

from keras_mlp import validation
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.detection import TASK, data
from keras_mlp.detection.metrics import coco_metrics
from keras_mlp.detection.retinanet import BOX_FORMAT, RetinaNet
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training.run_dir import plan_head_run
from keras_mlp.training.run_session import PreparedRun, RunOptions, run_once
from keras_mlp.training.task_splits import load_task_splits


@dataclasses.dataclass
class DetectionConfig(RunOptions):
    """Everything a detection run depends on.

    The defaults train the embedded digits task on 2 CPU cores.
    """

    backbone: str = "cyclemlp_b1"
    dataset: str = "digits"
    classes: int | None = None
    epochs: int = 5
    batch_size: int = 16
    image_size: int = 64
    learning_rate: float = 3e-4
    weight_decay: float = 0.05
    anchor_size: float = 2.0
    head_conv_layers: int = 1
    warmup_epochs: float = 1.0
    backbone_weights: str | None = None
    data_dir: str | None = None
    download: bool = False


def _plan(config):
    for name in ("epochs", "batch_size", "image_size"):
        validation.positive_int(name, getattr(config, name))
    validation.positive_number("learning_rate", config.learning_rate)
    validation.positive_number("anchor_size", config.anchor_size)
    validation.positive_int("head_conv_layers", config.head_conv_layers)
    validation.require(0 <= config.warmup_epochs < config.epochs, "warmup_epochs", config.warmup_epochs,
                       f"from 0 to below --epochs={config.epochs}")
    return plan_head_run(
        config, "retinanet", classes=config.classes, learning_rate=config.learning_rate,
        weight_decay=config.weight_decay, anchor_size=config.anchor_size,
        head_conv_layers=config.head_conv_layers, warmup_epochs=config.warmup_epochs,
    )


class CocoEvaluation(keras.callbacks.Callback):
    """COCO's AP on `split` after every epoch, printed and as
    `val_<metric>` logs (before the run's log and checkpoint callbacks read
    them)."""

    def __init__(self, split, dataset):
        super().__init__()
        self.split, self.dataset = split, dataset

    def on_epoch_end(self, epoch, logs=None):
        metrics = coco_metrics(self.model.predict(self.dataset, verbose=0), self.split)
        print(f"\nEpoch {epoch + 1}: COCO AP50 {metrics['ap50']:.4f}, AP {metrics['ap']:.4f} "
              f"on {self.split.num_examples} held-out images", flush=True)
        if logs is not None:
            logs.update({f"val_{name}": value for name, value in metrics.items()})


def train_detection(config, callbacks=()):
    """Trains a RetinaNet and evaluates it; returns `(model, results)`.

    `results` holds COCO's `ap`, `ap50`, `ap75`, `ap_small`, `ap_medium`,
    `ap_large` on the held-out split and the paths written. A finished run
    in the directory is returned as it is.
    """
    plan = _plan(config)
    return run_once(plan, config, lambda: _prepare(plan, config, callbacks))


def _prepare(plan, config, callbacks):
    keras.utils.set_random_seed(config.seed)
    train_split, eval_split, eval_name, classes = load_task_splits(data, config, image_size=config.image_size)
    shape = (config.image_size, config.image_size, 3)
    try:
        model = RetinaNet(config.backbone, classes, weights=config.backbone_weights, image_shape=shape,
                          anchor_size=config.anchor_size, head_conv_layers=config.head_conv_layers)
    except ValueError as e:
        raise ValueError(f"--backbone={config.backbone} with --image_size={config.image_size}: {e}") from e
    steps_per_epoch = config.steps_per_epoch or train_split.num_examples // config.batch_size
    warmup_steps = round(config.warmup_epochs * steps_per_epoch)
    # Linear warm-up from 0 to the peak, then cosine decay to 0 (Keras' own schedule).
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, max(1, steps_per_epoch * config.epochs - warmup_steps),
        warmup_target=config.learning_rate, warmup_steps=warmup_steps,
    )
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay, global_clipnorm=10.0))
    model.optimizer.build(model.trainable_variables)
    common = dict(batch_size=config.batch_size, mean=INCEPTION.mean, std=INCEPTION.std)
    train_ds = data.make_dataset(train_split, True, seed=config.seed, **common)
    eval_ds = data.make_dataset(eval_split, False, **common)
    metadata = ModelMetadata(
        config.backbone, {"input_shape": shape},
        INCEPTION.replace(input_size=config.image_size, crop_pct=1.0), train_split.class_names[:classes],
        extra=dict(task=TASK, head="retinanet", box_format=BOX_FORMAT, dataset=config.dataset,
                   eval_split=eval_name, epochs=config.epochs, batch_size=config.batch_size,
                   anchor_size=config.anchor_size, head_conv_layers=config.head_conv_layers),
    )

    def fit(initial_epoch):
        model.fit(
            train_ds.repeat() if config.steps_per_epoch else train_ds,
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=config.steps_per_epoch,
            callbacks=[*callbacks_lib.standard_callbacks(
                plan.run, metadata, initial_epoch, extra=[CocoEvaluation(eval_split, eval_ds)]), *callbacks],
            # The dataset shuffles itself; fit's own shuffle only warns on one.
            shuffle=False,
            verbose=config.verbose,
        )
        return model, metadata, coco_metrics(model.predict(eval_ds, verbose=0), eval_split)

    description = (
        f"RetinaNet on {config.backbone} on {config.dataset} ({train_split.num_examples} images, "
        f"{classes} classes): {config.epochs} epochs, batch {config.batch_size}"
    )
    return PreparedRun(model, description, fit)

