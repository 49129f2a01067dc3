"""Resumption takes the newest state that loads, and moves unreadable ones aside."""

import os

import numpy as np

from keras_mlp.training.callbacks import Backup, EpochCheckpoint
from keras_mlp.training.resume import restore
from keras_mlp.training.run_dir import RunDirectory
from tests.saved_models import TINY_METADATA as METADATA
from tests.saved_models import tear, toy_model
from tests.testing import TestCase


class RestoreTest(TestCase):
    def setUp(self):
        super().setUp()
        self.run = RunDirectory(os.path.join(self.get_temp_dir(), self.id().rsplit(".", 1)[-1]))
        self.model = toy_model()
        self.states = {}
        callbacks = [EpochCheckpoint(self.run, METADATA), Backup(self.run)]
        x, y = np.ones((4, 3)), np.zeros((4, 2))
        for epoch in range(2):
            self.model.train_on_batch(x, y)
            self.states[epoch + 1] = [np.array(w) for w in self.model.get_weights()]
            for callback in callbacks:
                callback.set_model(self.model)
                callback.on_epoch_end(epoch)

    def fresh(self):
        model = toy_model()
        return model, [np.array(w) for w in model.get_weights()]

    def assertWeights(self, model, weights):
        for actual, expected in zip(model.get_weights(), weights):
            self.assertAllClose(actual, expected)

    def test_newest_state(self):
        model, _ = self.fresh()
        epoch, path = restore(model, self.run)
        self.assertEqual((epoch, path), (2, self.run.backup_file(2)))
        self.assertWeights(model, self.states[2])
        self.assertEqual(int(model.optimizer.iterations), 2)

    def test_torn_backup_is_moved_aside_and_the_checkpoint_used(self):
        tear(self.run.backup_file(2))
        model, _ = self.fresh()
        self.assertEqual(restore(model, self.run), (2, self.run.checkpoint(2)))
        self.assertWeights(model, self.states[2])
        self.assertEqual(os.listdir(self.run.corrupt), ["backup-epoch_002.weights.h5"])

    def test_zero_byte_checkpoint_is_moved_aside_even_when_not_needed(self):
        tear(self.run.checkpoint(1), keep=0)
        model, _ = self.fresh()
        self.assertEqual(restore(model, self.run), (2, self.run.backup_file(2)))
        self.assertEqual(os.listdir(self.run.corrupt), ["checkpoints-epoch_001.keras"])

    def test_falls_back_to_older_states(self):
        tear(self.run.backup_file(2))
        tear(self.run.checkpoint(2), keep=0.9)
        model, _ = self.fresh()
        self.assertEqual(restore(model, self.run), (1, self.run.checkpoint(1)))
        self.assertWeights(model, self.states[1])
        self.assertLen(os.listdir(self.run.corrupt), 2)

    def test_nothing_readable_starts_over_with_the_model_untouched(self):
        for path in (self.run.backup_file(2), self.run.checkpoint(1), self.run.checkpoint(2)):
            tear(path, keep=0.95)
        # The newest state is of another head: Keras assigns its first layer
        # before it fails on the second.
        toy_model(outputs=5).save_weights(self.run.backup_file(3))
        model, initial = self.fresh()
        self.assertEqual(restore(model, self.run), (0, None))
        self.assertWeights(model, initial)
        self.assertEqual(int(model.optimizer.iterations), 0)
