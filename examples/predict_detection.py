r"""Detects objects in image files with a model trained by train_detection.py.

  python examples/predict_detection.py --weights=runs/<run>/final.keras canvases/

For each image it prints every detection scoring --min_score or more: its
class, score and box as [x_min, y_min, x_max, y_max] pixels of the image at
its own size (each image is resized to the model's input, and the boxes are
scaled back). With --output_dir it also writes <name>_boxes.png, the image
with the boxes drawn.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

import os

import numpy as np
from absl import app, flags
from PIL import Image

from keras_mlp import cli
from keras_mlp.classification.predict import image_paths
from keras_mlp.detection import TASK
from keras_mlp.detection.predict import Detector, draw

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", None, "A detection run's final.keras (or its directory).", required=True)
flags.DEFINE_float("min_score", 0.5, "Detections scoring less are left out.")
flags.DEFINE_string("output_dir", None, "Where the images with their boxes drawn are written; default none.")


def main(argv):
    paths = image_paths(argv[1:])
    if not paths:
        raise app.UsageError("Pass image files or folders to detect objects in.")
    model, metadata = cli.load_task_model(FLAGS.weights, TASK, "train_detection.py")
    detector = Detector(model, metadata)
    names = metadata.class_names
    if FLAGS.output_dir:
        os.makedirs(FLAGS.output_dir, exist_ok=True)
    for path in paths:
        image = np.asarray(Image.open(path).convert("RGB"))
        found = detector.detect(image, min_score=FLAGS.min_score)
        print(f"{path}: {len(found.scores)} objects")
        for box, label, score in zip(found.boxes, found.classes, found.scores):
            print(f"  {names[label]} {score:.3f} [{', '.join(f'{v:.1f}' for v in box)}]")
        if FLAGS.output_dir:
            stem = os.path.join(FLAGS.output_dir, os.path.splitext(os.path.basename(path))[0])
            draw(image, found, names).save(f"{stem}_boxes.png")


if __name__ == "__main__":
    cli.run(main)
