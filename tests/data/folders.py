"""Image folders written for the data tests."""

import os

import numpy as np
import tensorflow as tf


def write_png(path, value, size=(20, 30)):
    image = np.full(size + (3,), value, "uint8")
    tf.io.write_file(path, tf.io.encode_png(image))


def image_folder(root, layout):
    """`layout`: `{"train/cat": 3, ...}`, the number of images per folder."""
    for folder, count in layout.items():
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        for i in range(count):
            write_png(os.path.join(root, folder, f"{i}.png"), 10 * i)
    return root
