import keras

from keras_mlp.layers.margin_softmax import MarginSoftmax


@keras.saving.register_keras_serializable(package="keras_mlp")
class CosFace(MarginSoftmax):
    """Additive cosine margin: the true class' logit is `s * (cos(theta) - m)`.

    CosFace (Wang et al., arXiv 1801.09414; "large margin cosine loss"),
    with InsightFace's defaults `s=64`, `m=0.35`. The margin is subtracted
    from the cosine itself, so it is defined and has a gradient at every
    angle, `pi` included.

    Args:
        num_classes: identities of the training set.
        scale: `s`.
        margin: `m`.

    Example:

    >>> head = CosFace(num_classes=1000)
    >>> logits = head([embeddings, labels])   # (batch, 1000), for the loss
    """

    def __init__(self, num_classes, scale=64.0, margin=0.35, **kwargs):
        super().__init__(num_classes, scale, margin, **kwargs)

    def target(self, cosine):
        return cosine - self.margin
