"""Top-k accuracy that counts tied scores against the model."""

import keras
from keras import ops

from keras_mlp import validation


def top_k_hits(y_true, y_pred, k=5):
    """1.0 where the true class (the argmax of `y_true`) ranks at most `k`, else 0.0.

    The true class's rank is the number of classes whose score is not below
    its own, itself included: classes tied with it count as ranked above it,
    and so does every class when the scores are NaN.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    true_class = ops.expand_dims(ops.argmax(y_true, axis=-1), -1)
    true_score = ops.take_along_axis(y_pred, true_class, axis=-1)
    rank = ops.sum(ops.cast(ops.logical_not(y_pred < true_score), "int32"), axis=-1)
    return ops.cast(rank <= k, "float32")


@keras.saving.register_keras_serializable(package="keras_mlp")
class TopKAccuracy(keras.metrics.MeanMetricWrapper):
    """The share of examples whose true class ranks at most `k` (`top_k_hits`).

    `keras.metrics.TopKCategoricalAccuracy` (`in_top_k`) counts every class
    tied at the k-th score as in the top k, so a model that scores all
    classes alike (a zero-initialised head) gets a top-5 of 1.0. Here ties
    count against the model: that model gets 0.

    Args:
        k: int, the number of top-scoring classes that count.
        name: the metric's name; default `top{k}`.
        dtype: the result's dtype.

    Example:

    >>> metric = TopKAccuracy(k=1)
    >>> metric.update_state([[0, 1, 0]], [[0.5, 0.5, 0.0]])
    >>> float(metric.result())
    0.0
    """

    def __init__(self, k=5, name=None, dtype=None):
        validation.positive_int("k", k)
        super().__init__(fn=top_k_hits, name=name or f"top{k}", dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"k": self.k, "name": self.name, "dtype": self.dtype}
