"""Image folders written for the data tests."""

import os

import numpy as np
import tensorflow as tf


def write_png(path, value, size=(20, 30)):
    image = np.broadcast_to(np.asarray(value, "uint8"), size + (3,))
    tf.io.write_file(path, tf.io.encode_png(image))


def image_folder(root, layout, noise=False):
    """`layout`: `{"train/cat": 3, ...}`, the number of images per folder.

    Each image is one flat colour, or with `noise` seeded uniform noise: a
    training step on flat images leaves a BatchNorm network's deep channels
    with zero variance, and each of those BatchNorms multiplies the gradient
    by up to 1/sqrt(epsilon), until it overflows (RepMLPNet-T: inf at its
    fifth stage-2 block, so the run stops as diverged).
    """
    for n, (folder, count) in enumerate(layout.items()):
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        for i in range(count):
            value = np.random.RandomState(100 * n + i).randint(0, 256, (20, 30, 3)) if noise else 10 * i
            write_png(os.path.join(root, folder, f"{i}.png"), value)
    return root
