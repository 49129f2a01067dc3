"""The callbacks every training run gets, and the learning-curve plot."""

import csv
import os

import keras


class LearningCurves(keras.callbacks.Callback):
    """Plots every metric in the CSV log to a PNG when training ends.

    Reading the CSV (rather than this process' history) keeps the epochs of
    earlier, interrupted runs of the same `model_dir` in the plot.
    """

    def __init__(self, csv_path, png_path):
        super().__init__()
        self.csv_path = csv_path
        self.png_path = png_path

    def on_train_end(self, logs=None):
        plot_learning_curves(self.csv_path, self.png_path)


def plot_learning_curves(csv_path, png_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
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
    fig.savefig(png_path, dpi=100)
    plt.close(fig)


def standard_callbacks(model_dir, extra=()):
    """Checkpoints every epoch, backup for resumption, logs and curves.

    Layout of `model_dir`: `checkpoints/epoch_NNN.keras` (full model with
    optimizer state), `backup/` (`BackupAndRestore`), `logs/` (TensorBoard),
    `history.csv`, `learning_curves.png`.
    """
    csv_path = os.path.join(model_dir, "history.csv")
    return [
        *extra,
        keras.callbacks.BackupAndRestore(os.path.join(model_dir, "backup")),
        keras.callbacks.ModelCheckpoint(
            os.path.join(model_dir, "checkpoints", "epoch_{epoch:03d}.keras")
        ),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(os.path.join(model_dir, "logs")),
        keras.callbacks.CSVLogger(csv_path, append=True),
        LearningCurves(csv_path, os.path.join(model_dir, "learning_curves.png")),
    ]
