"""Input preprocessing and prediction decoding that follow a weights record."""

import numpy as np
from keras import ops

from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.weights.labels import class_names
from keras_mlp.weights.records import PretrainedWeights
from keras_mlp.weights.registry import get_pretrained


def _record(weights):
    return weights if isinstance(weights, PretrainedWeights) else get_pretrained(weights)


def preprocess_input(images, weights):
    """Normalises `uint8`-range RGB images as the given weights expect.

    Args:
        images: array or tensor, `(..., height, width, 3)`, values in [0, 255].
            Resize and crop first (`keras_mlp.data` does it for datasets).
        weights: `"model.tag"` (e.g. `"mixer_b16.imagenet1k"`), a
            `PretrainedWeights` record, or a `keras_mlp.data.Preprocessing`.

    Returns:
        float32 tensor `(images / 255 - mean) / std`.

    Example:

    >>> x = np.full((1, 224, 224, 3), 255, "uint8")
    >>> float(preprocess_input(x, "mixer_b16.imagenet1k")[0, 0, 0, 0])
    1.0
    """
    if not isinstance(weights, Preprocessing):
        weights = _record(weights).preprocessing
    return weights.normalize(images)


def decode_predictions(preds, weights, top=5):
    """Top-`top` `(synset_id, name, score)` per row of `preds`.

    Args:
        preds: `(batch, classes)` probabilities or logits.
        weights: `"model.tag"` or a `PretrainedWeights` record; its label set
            (ImageNet-1k, Google ImageNet-21k or MIIL ImageNet-21k-P) ships
            inside the package.
        top: how many classes per row.
    """
    record = _record(weights)
    preds = np.asarray(ops.convert_to_numpy(preds))
    if preds.ndim != 2 or preds.shape[1] != record.classes:
        raise ValueError(
            f"`preds` must have shape (batch, {record.classes}) for "
            f"{record.name}. Received: preds.shape={preds.shape}"
        )
    names = class_names(record.labels)
    results = []
    for row in preds:
        best = np.argsort(row)[::-1][:top]
        results.append([(*names[i], float(row[i])) for i in best])
    return results
