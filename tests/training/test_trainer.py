"""The training loop end to end on the embedded digits, kept tiny."""

import os

from keras_mlp.training import TrainConfig, evaluate, train
from tests.testing import TestCase


class TrainerTest(TestCase):
    def test_run_writes_everything_it_promises(self):
        model_dir = os.path.join(self.get_temp_dir(), "run")
        config = TrainConfig(
            model="mixer_t4", epochs=2, batch_size=32, image_size=16, steps_per_epoch=3,
            model_dir=model_dir, verbose=0,
        )
        model, results = train(config)
        for name in ("history.csv", "learning_curves.png", "final.keras", "checkpoints/epoch_002.keras"):
            self.assertTrue(os.path.exists(os.path.join(model_dir, name)), name)
        self.assertTrue(os.listdir(os.path.join(model_dir, "logs")))
        self.assertIn("accuracy", results)
        metrics = evaluate(model, "digits", "test", image_size=16)
        self.assertBetween(metrics["top1"], 0.0, 1.0)
        self.assertGreaterEqual(metrics["top5"], metrics["top1"])

    def test_unfinished_run_is_not_overwritten(self):
        model_dir = os.path.join(self.get_temp_dir(), "busy")
        os.makedirs(os.path.join(model_dir, "backup"))
        open(os.path.join(model_dir, "backup", "weights.weights.h5"), "w").close()
        with self.assertRaisesRegex(ValueError, "Drop --noresume"):
            train(TrainConfig(model_dir=model_dir, resume=False))

    def test_bad_mixed_precision(self):
        with self.assertRaisesRegex(ValueError, "`mixed_precision` must be one of"):
            train(TrainConfig(mixed_precision="float8"))

    def test_multi_worker_needs_a_shared_model_dir(self):
        with self.assertRaisesRegex(ValueError, "needs a `model_dir` that every worker"):
            train(TrainConfig(strategy="multi_worker"))
