import dataclasses
import os

from absl import app

from keras_mlp import cli
from keras_mlp.model_io.metadata import save_model
from tests.saved_models import TINY_METADATA, toy_model
from tests.testing import TestCase


class LoadTaskModelTest(TestCase):
    def save(self, metadata):
        path = os.path.join(self.get_temp_dir(), "final.keras")
        save_model(toy_model(), path, metadata)
        return path

    def test_the_tasks_model_loads(self):
        path = self.save(dataclasses.replace(TINY_METADATA, extra={"task": "detection"}))
        model, metadata = cli.load_task_model(path, "detection", "train_detection.py")
        self.assertEqual(metadata.extra["task"], "detection")
        self.assertEqual(model.output_shape, (None, 2))

    def test_another_tasks_model_is_refused_in_one_line(self):
        path = self.save(dataclasses.replace(TINY_METADATA, extra={"task": "segmentation"}))
        with self.assertRaisesRegex(
            app.UsageError, f"^--weights={path} is no detection model written by train_detection.py.$"
        ):
            cli.load_task_model(path, "detection", "train_detection.py")

    def test_a_classifier_is_refused(self):
        with self.assertRaisesRegex(app.UsageError, "is no segmentation model"):
            cli.load_task_model(self.save(TINY_METADATA), "segmentation", "train_segmentation.py")


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
