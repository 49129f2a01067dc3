"""Label maps of whole images from a segmenter, and how to show them.

keras_mlp segmenters take one fixed input size (their token-mixing weights
depend on it). `"slide"` inference, mmsegmentation's mode for such models,
rescales an image so its short side is that size and averages the logits of
windows slid along the long side (two thirds of a window apart); `"whole"`
resizes the image to the input size. Either way the logits are resized back
to the image before the argmax.
"""

import math

import numpy as np
import tensorflow as tf

MODES = ("slide", "whole")


def predict_labels(model, image, mean, std, mode="slide"):
    """`(H, W)` int32 labels of a uint8 `(H, W, 3)` image."""
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
    height, width = image.shape[:2]
    side = model.input_shape[1]
    x = (tf.cast(image, "float32") - np.multiply(mean, 255.0)) / np.multiply(std, 255.0)
    if mode == "whole":
        logits = model(tf.image.resize(x, (side, side))[None], training=False)[0]
    else:
        scale = side / min(height, width)
        rows, cols = max(side, round(height * scale)), max(side, round(width * scale))
        x = tf.image.resize(x, (rows, cols))
        logits = np.zeros((rows, cols, model.output_shape[-1]), "float32")
        counts = np.zeros((rows, cols, 1), "float32")
        for top in _starts(rows, side):
            for left in _starts(cols, side):
                window = x[top : top + side, left : left + side][None]
                logits[top : top + side, left : left + side] += np.asarray(model(window, training=False)[0])
                counts[top : top + side, left : left + side] += 1
        logits = logits / counts
    logits = tf.image.resize(logits, (height, width))
    return np.asarray(tf.argmax(logits, axis=-1), "int32")


def _starts(length, window):
    """Window offsets two thirds of a window apart, the last flush with the end."""
    stride = max(1, (2 * window) // 3)
    steps = max(1, math.ceil((length - window) / stride) + 1)
    return sorted({min(i * stride, length - window) for i in range(steps)})


def palette(classes):
    """`(classes, 3)` uint8 colours: black background, then distinct hues."""
    colours = np.zeros((max(classes, 1), 3), "uint8")
    for k in range(1, classes):
        hue = (k * 0.618033988749895) % 1.0
        colours[k] = np.round(255 * np.array(_hsv_to_rgb(hue, 0.75, 1.0)))
    return colours


def _hsv_to_rgb(h, s, v):
    i, f = int(h * 6) % 6, h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def colour_mask(labels, classes):
    """`(H, W, 3)` uint8 colours of a label map."""
    return palette(classes)[np.clip(labels, 0, classes - 1)]


def overlay(image, labels, classes, alpha=0.5):
    """The image blended with its colour mask (background left as it is)."""
    mask = colour_mask(labels, classes).astype("float32")
    blended = (1 - alpha) * image.astype("float32") + alpha * mask
    return np.where(labels[..., None] > 0, blended, image).astype("uint8")
