"""Label maps of images of any size from a segmenter, and how to show them.

A segmenter is built for one input size. Whether its weights serve other
sizes depends on the backbone: the pyramid families (CycleMLP, Wave-MLP)
have no weight tied to the input size, while Mixer's token-mixing and
RepMLP's FC weights are tied to the token grid. Hence three modes, as in
mmsegmentation:

- `"whole"`: the image at its own size, padded to a multiple of 32 (the
  coarsest feature stride), through the same segmenter rebuilt for that size
  with the same weights; the logits are cropped back to the image. Only for
  backbones that take any size.
- `"slide"`: the image rescaled so its short side is the input size, windows
  of the input size slid along it two thirds of a window apart and their
  logits averaged (mmsegmentation's mode for grid-bound models).
- `"resize"`: the image resized to the input size.

`"auto"` is `"whole"` when the backbone takes any size, else `"slide"`.
Either way the logits are resized back to the image before the argmax.
"""

import collections
import math

import numpy as np
import tensorflow as tf

from keras_mlp import validation
from keras_mlp.segmentation import HEADS, STRIDES

MODES = ("auto", "whole", "slide", "resize")
# Rebuilt segmenters kept for the sizes seen last (an evaluation set of
# images of many sizes would otherwise hold a model per size).
_CACHED_SIZES = 8


class Segmenter:
    """Segments uint8 images of any size with a model of `train_segmentation`.

    Args:
        model: the segmenter (`keras_mlp.UPerNet`, `SemanticFPN` or `PSPNet`).
        metadata: its `ModelMetadata`, as `train_segmentation` saves it
            (backbone, head, channels, preprocessing); it rebuilds the model
            at other sizes for `"whole"`.
        mode: one of `MODES` (see the module docstring).

    Example:

    ```python
    model, metadata = keras_mlp.model_io.metadata.load_model("runs/<run>/final.keras")
    labels = Segmenter(model, metadata).labels(image)  # (H, W) int32
    ```
    """

    def __init__(self, model, metadata, mode="auto"):
        validation.one_of("mode", mode, MODES)
        self.model = model
        self.metadata = metadata
        self.side = model.input_shape[1]
        self.classes = model.output_shape[-1]
        self._models = collections.OrderedDict({tuple(model.input_shape[1:3]): model})
        if mode in ("auto", "whole"):
            probe = (self.side + STRIDES[-1], self.side + 2 * STRIDES[-1])
            any_size = self.model_at(probe) is not None
            if mode == "whole" and not any_size:
                raise ValueError(
                    f"mode='whole' needs a backbone that takes any input size; {metadata.model}'s "
                    f"weights are tied to its {self.side}x{self.side} input. Use mode='slide' "
                    "(or 'resize')."
                )
            mode = "whole" if any_size else "slide"
        self.mode = mode

    def model_at(self, size):
        """The segmenter built for `size = (rows, cols)` inputs with this one's
        weights, or None when its backbone cannot take that size."""
        size = tuple(size)
        if size in self._models:
            self._models.move_to_end(size)
            return self._models[size]
        extra = self.metadata.extra
        try:
            model = HEADS[extra["head"]](
                self.metadata.model, classes=self.classes, input_shape=(*size, 3), channels=extra["channels"]
            )
        except ValueError:
            return None
        if [w.shape for w in model.weights] != [w.shape for w in self.model.weights]:
            return None
        model.set_weights(self.model.get_weights())
        self._models[size] = model
        while len(self._models) > _CACHED_SIZES:
            # Never the model itself, which stays first.
            self._models.pop(list(self._models)[1])
        return model

    def logits(self, image):
        """`(H, W, classes)` float32 logits of a uint8 `(H, W, 3)` image."""
        height, width = image.shape[:2]
        prep = self.metadata.preprocessing
        x = (np.asarray(image, "float32") - np.multiply(prep.mean, 255.0)) / np.multiply(prep.std, 255.0)
        if self.mode == "whole":
            stride = STRIDES[-1]
            rows, cols = (math.ceil(n / stride) * stride for n in (height, width))
            # Zero padding after normalisation: the mean colour.
            x = np.pad(x, ((0, rows - height), (0, cols - width), (0, 0)))
            model = self.model_at((rows, cols))
            if model is None:
                raise ValueError(
                    f"{self.metadata.model} cannot take a {height}x{width} image padded to {rows}x{cols}: "
                    "segment it with mode='slide'."
                )
            return model.predict_on_batch(x[None])[0, :height, :width]
        if self.mode == "resize":
            logits = self.model.predict_on_batch(tf.image.resize(x, (self.side, self.side))[None])[0]
        else:
            logits = _slide(self.model, x, self.side)
        return np.asarray(tf.image.resize(logits, (height, width)))

    def labels(self, image):
        """`(H, W)` int32 labels of a uint8 `(H, W, 3)` image."""
        return np.argmax(self.logits(image), axis=-1).astype("int32")


def _slide(model, x, side):
    height, width = x.shape[:2]
    scale = side / min(height, width)
    rows, cols = max(side, round(height * scale)), max(side, round(width * scale))
    x = np.asarray(tf.image.resize(x, (rows, cols)))
    corners = [(top, left) for top in _starts(rows, side) for left in _starts(cols, side)]
    windows = model.predict_on_batch(np.stack([x[t : t + side, l : l + side] for t, l in corners]))
    logits = np.zeros((rows, cols, windows.shape[-1]), "float32")
    counts = np.zeros((rows, cols, 1), "float32")
    for (top, left), window in zip(corners, windows):
        logits[top : top + side, left : left + side] += window
        counts[top : top + side, left : left + side] += 1
    return logits / counts


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
