"""The run's callbacks: one CSV row per epoch across restarts, whole state files."""

import csv
import os

import numpy as np

from keras_mlp.model_io.metadata import read_metadata
from keras_mlp.training.callbacks import Backup, EpochCheckpoint, EpochLog, LearningCurves, NonFiniteGuard
from keras_mlp.training.run_dir import RunDirectory
from tests.saved_models import TINY_METADATA as METADATA
from tests.saved_models import toy_model
from tests.testing import TestCase


def epochs_in(run):
    with open(run.history, newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


class CallbacksTest(TestCase):
    def setUp(self):
        super().setUp()
        self.run = RunDirectory(os.path.join(self.get_temp_dir(), self.id().rsplit(".", 1)[-1]))
        os.makedirs(self.run.path)

    def log_epochs(self, epochs, initial_epoch=0):
        log = EpochLog(self.run, initial_epoch)
        log.on_train_begin()
        for epoch in epochs:
            log.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0})

    def test_one_row_per_completed_epoch_whatever_the_restarts(self):
        self.log_epochs([0, 1, 2])  # killed after logging epoch 3, before its backup
        self.log_epochs([2, 3], initial_epoch=2)  # resumed from the state after epoch 2
        self.assertEqual(epochs_in(self.run), [0, 1, 2, 3])
        self.log_epochs([], initial_epoch=1)  # resumed from an older state: the log follows it
        self.assertEqual(epochs_in(self.run), [0])

    def test_malformed_log_is_moved_aside_and_its_whole_rows_kept(self):
        with open(self.run.history, "w") as f:
            f.write("epoch,loss\n0,0.5\n1,0.4\n2,0.")  # no newline: a torn last row is fine ...
        with open(self.run.history, "a") as f:
            f.write("3\n4,0.3,extra\n")  # ... an extra column is not
        self.log_epochs([], initial_epoch=10)
        self.assertEqual(epochs_in(self.run), [0, 1, 2])
        self.assertEqual(os.listdir(self.run.corrupt), ["history.csv"])

    def test_checkpoints_carry_metadata_and_backup_keeps_the_newest_only(self):
        model = toy_model()
        checkpoint, backup = EpochCheckpoint(self.run, METADATA), Backup(self.run)
        for callback in (checkpoint, backup):
            callback.set_model(model)
        for epoch in range(3):
            checkpoint.on_epoch_end(epoch)
            backup.on_epoch_end(epoch)
        self.assertEqual([e for e, _ in self.run.epoch_files(self.run.checkpoints)], [3, 2, 1])
        self.assertEqual(os.listdir(self.run.backup), ["epoch_003.weights.h5"])
        self.assertEqual(read_metadata(self.run.checkpoint(2)), METADATA)

    def test_a_resumed_run_rewrites_its_lost_checkpoint(self):
        model = toy_model()
        checkpoint = EpochCheckpoint(self.run, METADATA, initial_epoch=4)
        checkpoint.set_model(model)
        checkpoint.on_train_begin()
        self.assertEqual([e for e, _ in self.run.epoch_files(self.run.checkpoints)], [4])

    def test_non_finite_metrics_or_weights_fail_the_epoch(self):
        model = toy_model()
        guard = NonFiniteGuard(self.run)
        guard.set_model(model)
        guard.on_epoch_begin(2)
        guard.on_train_batch_end(0, {"loss": 0.5})
        guard.on_epoch_end(2, {"loss": 0.5, "val_loss": 0.7})
        with self.assertRaisesRegex(FloatingPointError, "diverged in epoch 3: val_loss inf at its end"):
            guard.on_epoch_end(2, {"loss": 0.5, "val_loss": float("inf")})
        # A finite loss with non-finite weights (e.g. BatchNorm statistics) fails too.
        bias = model.layers[1].bias
        bias.assign(np.array([0.0, np.nan], "float32"))
        with self.assertRaisesRegex(FloatingPointError, f"epoch 3: 1 of 4 weights are not finite \\({bias.path}\\)"):
            guard.on_epoch_end(2, {"loss": 0.5})

    def test_learning_curves(self):
        self.log_epochs([0, 1])
        curves = LearningCurves(self.run)
        curves.on_train_end()
        with open(self.run.curves, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(self.run.path)), ["history.csv", "learning_curves.png"])
