"""Compares an exported artifact with its Keras model, by a check that can fail."""

import dataclasses
import os
import tempfile

import keras
import numpy as np

from keras_mlp.export.formats import export_model
from keras_mlp.export.runtime import run_artifact


@dataclasses.dataclass(frozen=True)
class Verification:
    """How an artifact's outputs compare with the Keras model's.

    Attributes:
        max_abs_diff: largest absolute output difference.
        same_top1: fraction of images with the same top-1 class.
        min_cosine: smallest cosine similarity between an image's artifact
            and Keras outputs: what counts for an embedding (a face
            embedder's), which is compared by angle and has no top-1 class.
        note: what was compared, when it was not the artifact itself.
    """

    max_abs_diff: float
    same_top1: float
    min_cosine: float
    note: str | None = None


def verify_export(model, path, format, images):
    """Runs the artifact at `path` on `images` and compares it with `model`.

    An untrained Mixer's head is all zeros, so its outputs do not depend on
    the input and any artifact, however wrong its body, would match them.
    When the model's outputs do not vary over `images`, a copy with a random
    head is also exported (to a temporary directory, in the same format) and
    compared, and `same_top1` is that copy's (`note` says so).

    Returns:
        A `Verification`.
    """
    expected = model.predict(images, verbose=0)
    outputs = run_artifact(path, format, images)
    diff = np.abs(outputs - expected).max()
    note = None
    if _input_independent(expected):
        probe = with_random_head(model)
        with tempfile.TemporaryDirectory() as tmp:
            probe_path = os.path.join(tmp, os.path.basename(os.path.normpath(path)))
            export_model(probe, probe_path, format)
            expected = probe.predict(images, verbose=0)
            outputs = run_artifact(probe_path, format, images)
        diff = max(diff, np.abs(outputs - expected).max())
        note = (
            "the model's outputs do not depend on its input (an all-zero head), so a "
            "copy with a random head was exported and compared too"
        )
    return Verification(
        float(diff), float(np.mean(outputs.argmax(-1) == expected.argmax(-1))), _min_cosine(outputs, expected), note
    )


def with_random_head(model, seed=0):
    """A copy of `model` whose classifier (`predictions`) has random weights."""
    names = [layer.name for layer in model.layers]
    if "predictions" not in names:
        raise ValueError(
            f"{model.name}'s outputs do not depend on its input and it has no "
            "`predictions` head to randomise: there is nothing to verify."
        )
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    head = copy.get_layer("predictions")
    rng = np.random.default_rng(seed)
    head.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in head.get_weights()])
    return copy


def _min_cosine(a, b):
    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    norms = np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    return float(np.min(np.sum(a * b, axis=-1) / norms))


def _input_independent(outputs):
    return bool(np.all(np.ptp(outputs, axis=0) == 0))
