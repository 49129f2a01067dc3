"""Face verification metrics, as InsightFace reports them.

Pairs are scored by the cosine similarity of their embeddings. Accuracy is
the 10-fold protocol of LFW / CFP-FP / AgeDB-30 (InsightFace's
`eval/verification.py`): for each fold, the threshold that is best on the
other nine folds is applied to it, and the ten accuracies are averaged.
TAR@FAR is the share of genuine pairs accepted at the threshold that
accepts at most that share of impostor pairs.
"""

import dataclasses

import numpy as np

from keras_mlp import atomic


@dataclasses.dataclass(frozen=True)
class VerificationResult:
    """Attributes:
        accuracy, accuracy_std: mean and standard deviation over the folds.
        threshold: the mean of the folds' best cosine thresholds: the
            threshold to compare two faces with.
        tar, far: TAR at the largest FAR <= the asked one that the pairs
            can show (with `n` impostor pairs, FARs come in steps of `1/n`).
        pairs: number of pairs.
    """

    accuracy: float
    accuracy_std: float
    threshold: float
    tar: float
    far: float
    pairs: int

    def describe(self, name, far_target):
        return (
            f"{name}: verification accuracy {self.accuracy:.4f} +- {self.accuracy_std:.4f} "
            f"(10-fold, {self.pairs} pairs), threshold {self.threshold:.4f}, "
            f"TAR@FAR={far_target:g} {self.tar:.4f} (FAR reached {self.far:.4g})"
        )


FOLDS = 10


def check_pairs(issame, name, folds=FOLDS):
    """Raises unless the pairs `issame` can be scored: at least `folds` of
    them, and both same-person and different-person pairs (a threshold and
    TAR@FAR need both). Called before training, not after it."""
    issame = np.asarray(issame, dtype=bool)
    if len(issame) < folds:
        raise ValueError(
            f"{name} has {len(issame)} pairs: {folds}-fold verification needs at least {folds}. "
            "Use a larger verification set."
        )
    if issame.all() or not issame.any():
        kind = "same-person" if issame.all() else "different-person"
        raise ValueError(
            f"{name} has only {kind} pairs: a verification threshold needs both same-person and "
            "different-person pairs."
        )


def l2_normalize(embeddings):
    embeddings = np.asarray(embeddings, dtype="float64")
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)


def pair_scores(embeddings):
    """Cosine similarity of pairs `(2i, 2i + 1)` of `embeddings`."""
    unit = l2_normalize(embeddings)
    return np.sum(unit[0::2] * unit[1::2], axis=-1)


def best_threshold(scores, issame):
    """`(threshold, accuracy)` maximising the accuracy of `scores > threshold`."""
    # Every distinct score split is tried: midpoints between sorted scores.
    ordered = np.unique(scores)
    candidates = np.concatenate([[ordered[0] - 1e-6], (ordered[1:] + ordered[:-1]) / 2, [ordered[-1] + 1e-6]])
    accuracies = [(np.mean((scores > t) == issame), t) for t in candidates]
    accuracy, threshold = max(accuracies, key=lambda item: (item[0], -abs(item[1])))
    return float(threshold), float(accuracy)


def kfold_accuracy(scores, issame, folds=FOLDS):
    """`(mean accuracy, std, mean best threshold)` of the k-fold protocol.

    Folds are consecutive blocks of pairs, unshuffled, as in InsightFace.
    """
    scores, issame = np.asarray(scores), np.asarray(issame, dtype=bool)
    if len(scores) < folds:
        raise ValueError(f"{folds}-fold verification needs at least {folds} pairs; got {len(scores)}.")
    fold_of = np.arange(len(scores)) * folds // len(scores)
    accuracies, thresholds = [], []
    for fold in range(folds):
        test = fold_of == fold
        threshold, _ = best_threshold(scores[~test], issame[~test])
        accuracies.append(np.mean((scores[test] > threshold) == issame[test]))
        thresholds.append(threshold)
    return float(np.mean(accuracies)), float(np.std(accuracies)), float(np.mean(thresholds))


def tar_at_far(scores, issame, far=1e-3):
    """`(TAR, FAR reached)` at the lowest threshold whose FAR is <= `far`."""
    scores, issame = np.asarray(scores), np.asarray(issame, dtype=bool)
    impostors = np.sort(scores[~issame])[::-1]
    if not len(impostors) or not issame.any():
        raise ValueError("TAR@FAR needs both genuine and impostor pairs.")
    allowed = int(np.floor(far * len(impostors)))
    # Accept scores above the (allowed + 1)-th highest impostor score.
    threshold = impostors[allowed] if allowed < len(impostors) else -np.inf
    return float(np.mean(scores[issame] > threshold)), float(np.mean(impostors > threshold))


def evaluate_pairs(embeddings, issame, far=1e-3, folds=FOLDS):
    """The `VerificationResult` of embeddings of pairs `(2i, 2i + 1)`."""
    return evaluate_scores(pair_scores(embeddings), issame, far, folds)


def raw_pixel_scores(images, pairs_per_chunk=256):
    """Cosine similarity of pairs `(2i, 2i + 1)` of `images`, the pixels
    themselves the embedding: the baseline a learned embedding must beat.

    Computed a chunk of pairs at a time, since the pixels of a whole
    verification set (LFW: 12,000 faces of 112x112x3) would not fit in
    memory as `float64`.
    """
    images = np.asarray(images)
    flat = images.reshape(len(images), -1)
    step = 2 * pairs_per_chunk
    return np.concatenate([pair_scores(flat[i : i + step]) for i in range(0, len(flat), step)])


def evaluate_scores(scores, issame, far=1e-3, folds=FOLDS):
    """The `VerificationResult` of pair similarities `scores`."""
    accuracy, std, threshold = kfold_accuracy(scores, issame, folds)
    tar, far_reached = tar_at_far(scores, issame, far)
    return VerificationResult(accuracy, std, threshold, tar, far_reached, len(scores))


def plot_roc(scores_by_name, png_path):
    """One ROC curve (TAR against FAR, log FAR axis) per `{name: (scores, issame)}`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import auc, roc_curve

    fig, ax = plt.subplots(figsize=(5, 4))
    for name, (scores, issame) in scores_by_name.items():
        fpr, tpr, _ = roc_curve(np.asarray(issame, dtype=int), scores)
        ax.plot(np.maximum(fpr, 1e-4), tpr, label=f"{name} (AUC {auc(fpr, tpr):.4f})")
    ax.set_xscale("log")
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate")
    ax.set_title("verification ROC")
    ax.legend(loc="lower right")
    fig.tight_layout()
    with atomic.atomic_path(png_path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
