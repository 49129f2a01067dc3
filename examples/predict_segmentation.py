r"""Segments image files with a model trained by train_segmentation.py.

  python examples/predict_segmentation.py --weights=runs/<run>/final.keras \
      --output_dir=masks/ photos/

For each image it writes <name>_mask.png (one colour per class, background
black), <name>_overlay.png (the image with the mask blended in) and
<name>_labels.png (the class index of every pixel), and prints the classes
found. Images of any size are segmented whole at their own size when the
backbone takes any size (--mode=whole: the pyramid families), else by sliding
windows of the model's input size (--mode=slide); --mode=auto (default)
picks, --mode=resize resizes each image to the input size.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

import os

import numpy as np
from absl import app, flags
from PIL import Image

from keras_mlp import cli
from keras_mlp.classification.predict import image_paths
from keras_mlp.segmentation.predict import MODES, Segmenter, colour_mask, overlay
from keras_mlp.segmentation.trainer import TASK

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", None, "A segmentation run's final.keras (or its directory).", required=True)
flags.DEFINE_string("output_dir", "masks", "Where the masks and overlays are written.")
flags.DEFINE_enum(
    "mode", "auto", list(MODES),
    "whole: each image at its own size (backbones that take any size); slide: windows of the "
    "input size; resize: the image resized to it; auto: whole when the backbone allows, else slide.",
)


def main(argv):
    paths = image_paths(argv[1:])
    if not paths:
        raise app.UsageError("Pass image files or folders to segment.")
    model, metadata = cli.load_task_model(FLAGS.weights, TASK, "train_segmentation.py")
    try:
        segmenter = Segmenter(model, metadata, FLAGS.mode)
    except ValueError as e:
        raise app.UsageError(str(e)) from e
    names = metadata.class_names
    classes = len(names)
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    for path in paths:
        image = np.asarray(Image.open(path).convert("RGB"))
        labels = segmenter.labels(image)
        stem = os.path.join(FLAGS.output_dir, os.path.splitext(os.path.basename(path))[0])
        Image.fromarray(colour_mask(labels, classes)).save(f"{stem}_mask.png")
        Image.fromarray(overlay(image, labels, classes)).save(f"{stem}_overlay.png")
        Image.fromarray(labels.astype("uint8")).save(f"{stem}_labels.png")
        found = [names[k] for k in np.unique(labels)]
        print(f"{path}: {', '.join(found)} -> {stem}_mask.png, {stem}_overlay.png")


if __name__ == "__main__":
    cli.run(main)
