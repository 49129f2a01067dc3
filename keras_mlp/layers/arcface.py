import math

import keras

from keras_mlp import validation
from keras_mlp.layers.margin_softmax import MarginSoftmax


@keras.saving.register_keras_serializable(package="keras_mlp")
class ArcFace(MarginSoftmax):
    """Additive angular margin: the true class' logit is `s * cos(theta + m)`.

    ArcFace (Deng et al., arXiv 1801.07698), with the paper's and
    InsightFace's defaults `s=64`, `m=0.5`.

    Past `theta = pi - m`, `cos(theta + m)` would rise again (a worse angle
    would earn a better logit), so there the target is `cos(theta) - m *
    sin(pi - m)`, as InsightFace's `arcface_torch/losses.py`
    (`CombinedMarginLoss`, `easy_margin=False`) does: it keeps falling with
    `theta` and keeps a gradient. Clipping `theta + m` at `pi` instead would
    leave those worst-separated examples with a constant logit and no
    gradient, so they would never be pulled in. `sin(theta)` is computed
    from a floor of `1e-12` under `1 - cos^2`, so an embedding exactly on a
    class centre gets a finite gradient, not NaN.

    Args:
        num_classes: identities of the training set.
        scale: `s`.
        margin: `m`, in radians, below `pi / 2`.

    Example:

    >>> head = ArcFace(num_classes=1000)
    >>> logits = head([embeddings, labels])   # (batch, 1000), for the loss
    """

    def __init__(self, num_classes, scale=64.0, margin=0.5, **kwargs):
        super().__init__(num_classes, scale, margin, **kwargs)
        validation.require(self.margin < math.pi / 2, "margin", margin, "below pi / 2 radians")

    def target(self, cosine):
        m = self.margin
        sine = keras.ops.sqrt(keras.ops.clip(1.0 - keras.ops.square(cosine), 1e-12, 1.0))
        cos_theta_plus_m = cosine * math.cos(m) - sine * math.sin(m)
        return keras.ops.where(
            cosine > math.cos(math.pi - m), cos_theta_plus_m, cosine - m * math.sin(math.pi - m)
        )
