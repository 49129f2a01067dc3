"""The callbacks every training run gets, each writing its files atomically.

At the end of epoch `E` (counted from 1) they write, in this order: the row
of `history.csv`, `checkpoints/epoch_E.keras`, `backup/epoch_E.weights.h5`.
So whichever file a resumed run restores epoch `E` from, the rows of epochs
1..E are already in the log, and a kill at any instant leaves a consistent
run directory (see `keras_mlp.training.resume`).
"""

import csv
import io
import math
import os

import keras
import numpy as np

from keras_mlp import atomic
from keras_mlp.model_io.metadata import save_model
from keras_mlp.training.multi_process import undistributed


class NonFiniteGuard(keras.callbacks.Callback):
    """Fails the run, naming the epoch, once its loss or weights are not finite.

    `keras.callbacks.TerminateOnNaN` stops training as if it had finished,
    so the run would save and report a model of NaNs. This raises instead:
    after every batch on the loss, and at the end of every epoch (before
    the log and checkpoint callbacks) on the metrics and on every weight,
    BatchNorm statistics included, which a finite training loss does not
    cover. The run directory keeps the checkpoints of the finite epochs.

    Args:
        run: the `RunDirectory`, named in the error.
    """

    def __init__(self, run):
        super().__init__()
        self.run = run
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self._fail(f"the training loss is {float(loss)} at step {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad:
            self._fail(f"{', '.join(f'{k} {float(logs[k])}' for k in bad)} at its end")
        weights = [w for w in self.model.weights if not np.isfinite(keras.ops.convert_to_numpy(w)).all()]
        if weights:
            names = ", ".join(w.path for w in weights[:3])
            self._fail(
                f"{len(weights)} of {len(self.model.weights)} weights are not finite "
                f"({names}{', ...' if len(weights) > 3 else ''})"
            )

    def _fail(self, what):
        kept = self.run.epoch_files(self.run.checkpoints)
        last = f"its last finite checkpoint is {kept[0][1]}" if kept else "no epoch had finished"
        raise FloatingPointError(
            f"Training diverged in epoch {self.epoch + 1}: {what}. Stopped without "
            f"saving epoch {self.epoch + 1} or a final model; in {self.run.path}, "
            f"{last}. Lower the learning rate (--recipe), check the data, or "
            "start from other --weights."
        )


class EpochLog(keras.callbacks.Callback):
    """`history.csv` with exactly one row per completed epoch.

    Unlike `keras.callbacks.CSVLogger`, which appends, it rewrites the whole
    file each epoch (atomically) and drops the rows of epochs that a resumed
    run trains again, so restarts never leave duplicate or torn rows.

    Args:
        run: the `RunDirectory`.
        initial_epoch: epochs already completed (restored) when `fit` starts.
    """

    def __init__(self, run, initial_epoch=0):
        super().__init__()
        self.run = run
        self.initial_epoch = initial_epoch
        self.rows = []

    def on_train_begin(self, logs=None):
        self.rows = [r for r in read_history(self.run) if int(r["epoch"]) < self.initial_epoch]
        if self.rows or os.path.exists(self.run.history):
            self._write()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
        self.rows = [r for r in self.rows if int(r["epoch"]) < epoch] + [row]
        self._write()

    def _write(self):
        fields = ["epoch"] + sorted({k for row in self.rows for k in row} - {"epoch"})
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic.write_text(self.run.history, text.getvalue())


def read_history(run):
    """The rows of `history.csv`; a malformed file is moved aside, its whole rows kept."""
    if not os.path.exists(run.history):
        return []
    with open(run.history, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    whole = [r for r in rows if None not in r and None not in r.values() and r["epoch"].isdigit()]
    if len(whole) < len(rows):
        run.move_aside(run.history, f"{len(rows) - len(whole)} malformed row(s)")
    return whole


class EpochCheckpoint(keras.callbacks.Callback):
    """`checkpoints/epoch_NNN.keras`: the full model, optimizer and metadata.

    A resumed run whose own checkpoint was lost (moved aside as corrupt)
    writes it again from the restored state before training on.

    Args:
        run: the `RunDirectory`.
        metadata: the `ModelMetadata` stored in every checkpoint.
        initial_epoch: epochs already completed when `fit` starts.
    """

    def __init__(self, run, metadata, initial_epoch=0):
        super().__init__()
        self.run = run
        self.metadata = metadata
        self.initial_epoch = initial_epoch

    def on_train_begin(self, logs=None):
        if self.initial_epoch and not os.path.exists(self.run.checkpoint(self.initial_epoch)):
            self._save(self.initial_epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch + 1)

    def _save(self, epoch):
        os.makedirs(self.run.checkpoints, exist_ok=True)
        with undistributed():
            save_model(self.model, self.run.checkpoint(epoch), self.metadata)


class Backup(keras.callbacks.Callback):
    """`backup/epoch_NNN.weights.h5`: the newest training state, optimizer included.

    Replaces `keras.callbacks.BackupAndRestore`, which overwrites its file in
    place (a kill mid-write leaves a torn file that fails every rerun) and
    keeps the epoch number in a second file written separately. Here the
    epoch is in the file name and the file appears whole or not at all; the
    previous one is deleted only after that.
    """

    def __init__(self, run):
        super().__init__()
        self.run = run

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.run.backup, exist_ok=True)
        path = self.run.backup_file(epoch + 1)
        with atomic.atomic_path(path) as tmp, undistributed():
            self.model.save_weights(tmp)
        for _, older in self.run.epoch_files(self.run.backup):
            if older != path:
                os.remove(older)


class LearningCurves(keras.callbacks.Callback):
    """Plots every metric of `history.csv` to a PNG when training ends.

    Reading the CSV (rather than this process' history) keeps the epochs of
    earlier, interrupted runs of the same directory in the plot.
    """

    def __init__(self, run):
        super().__init__()
        self.run = run

    def on_train_end(self, logs=None):
        plot_learning_curves(read_history(self.run), self.run.curves)


def plot_learning_curves(rows, png_path):
    """Writes one panel per metric of the `history.csv` rows to `png_path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not rows:
        return
    epochs = [int(row["epoch"]) + 1 for row in rows]
    metrics = [k for k in rows[0] if k != "epoch" and not k.startswith("val_") and k != "learning_rate"]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        ax.plot(epochs, [float(r[metric]) for r in rows], label="train")
        if f"val_{metric}" in rows[0]:
            ax.plot(epochs, [float(r[f"val_{metric}"]) for r in rows], label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    fig.tight_layout()
    with atomic.atomic_path(png_path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)


def standard_callbacks(run, metadata, initial_epoch=0, extra=(), writer=True):
    """Check, log, checkpoint and backup every epoch (in that order), then curves.

    `extra` callbacks run first (e.g. the pipeline's `EpochSeed`). A process
    that is not the run's `writer` (`keras_mlp.training.multi_process`) only
    checks.
    """
    if not writer:
        return [*extra, NonFiniteGuard(run)]
    return [
        *extra,
        NonFiniteGuard(run),
        EpochLog(run, initial_epoch),
        EpochCheckpoint(run, metadata, initial_epoch),
        Backup(run),
        keras.callbacks.TensorBoard(run.logs),
        LearningCurves(run),
    ]
