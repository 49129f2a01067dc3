"""The margin heads' logits as the papers write them, in float64 NumPy."""

import numpy as np


def cosines(embeddings, kernel):
    unit = embeddings / np.linalg.norm(embeddings, axis=-1, keepdims=True)
    centres = kernel / np.linalg.norm(kernel, axis=0, keepdims=True)
    return np.clip(unit.astype("float64") @ centres.astype("float64"), -1.0, 1.0)


def with_target(cos, labels, target, scale):
    logits = cos.copy()
    rows = np.arange(len(labels))
    logits[rows, labels] = target(cos[rows, labels])
    return scale * logits


def arcface(embeddings, kernel, labels, scale=64.0, margin=0.5):
    """ArcFace (arXiv 1801.07698, eq. 3): `s cos(theta_y + m)`. Where `theta_y + m`
    passes pi, InsightFace's `cos(theta) - m sin(pi - m)` (arcface_torch/losses.py)."""

    def target(cos):
        theta = np.arccos(cos)
        return np.where(theta + margin < np.pi, np.cos(theta + margin), cos - margin * np.sin(np.pi - margin))

    return with_target(cosines(embeddings, kernel), labels, target, scale)


def cosface(embeddings, kernel, labels, scale=64.0, margin=0.35):
    """CosFace (arXiv 1801.09414, eq. 4): `s (cos(theta_y) - m)`."""
    return with_target(cosines(embeddings, kernel), labels, lambda cos: cos - margin, scale)


def planar_case(margin, num_classes=4, seed=0):
    """2-D embeddings at chosen angles from their class centre: `(embeddings,
    kernel, labels, angles)`, angles near 0, around `pi - margin` and near pi."""
    rng = np.random.RandomState(seed)
    centre_angles = rng.uniform(0, 2 * np.pi, num_classes)
    kernel = np.stack([np.cos(centre_angles), np.sin(centre_angles)]) * rng.uniform(0.5, 2, num_classes)
    angles = np.array([
        0.0, 1e-6, 1e-3, 0.1, 1.0, np.pi / 2, np.pi - margin - 1e-2, np.pi - margin - 1e-4,
        np.pi - margin + 1e-4, np.pi - margin + 1e-2, np.pi - 1e-2, np.pi - 1e-4, np.pi - 1e-6, np.pi,
    ])
    labels = np.arange(len(angles)) % num_classes
    directions = centre_angles[labels] + angles * np.where(np.arange(len(angles)) % 2, 1, -1)
    embeddings = np.stack([np.cos(directions), np.sin(directions)], axis=-1) * rng.uniform(0.5, 3, (len(angles), 1))
    return embeddings.astype("float32"), kernel.astype("float32"), labels.astype("int32"), angles
