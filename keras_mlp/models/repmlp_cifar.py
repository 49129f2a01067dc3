"""The pure-MLP CIFAR model of RepMLP (Ding et al., 2021, arXiv 2105.01883, Sec. 4.1).

No official code was released for it; this follows the paper's description
(Fig. 3, Table 1: 91.11% on CIFAR-10): a 3x3 conv stem, then three stages at
32x32, 16x16 and 8x8 with 16, 32 and 64 channels, each an FC (1x1 conv) and
a RepMLP block with 8x8 partitions and `fc3_groups=2`, with 2x2 max pooling
between stages, then average pooling and a linear classifier. After
`keras_mlp.reparameterize`, the stem is the only conv left.
"""

import keras

from keras_mlp.layers.conv_bn import ConvBN
from keras_mlp.layers.repmlp_v1_block import RepMLPV1Block
from keras_mlp.models import common
from keras_mlp.models.registry import register_model
from keras_mlp.models.repmlp_resnet import load_keras_only

STAGE_CHANNELS = (16, 32, 64)
PARTITION_SIZE = 8


@register_model("repmlp_cifar")
def RepMLPCIFAR(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    reparam_conv_k=(1, 3, 5),
    fc3_groups=2,
    deploy=False,
    name=None,
):
    """Instantiates the pure-MLP CIFAR model of RepMLP (arXiv 2105.01883).

    Args:
        include_top: whether to include the average pool and classifier.
        weights: `None` or a keras_mlp `.weights.h5`.
        input_tensor: optional Keras tensor to use as the image input.
        input_shape: optional `(height, width, 3)`, multiples of 32;
            defaults to `(32, 32, 3)`.
        pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
        classes: number of classes of the head.
        classifier_activation: activation of the head; `None` returns logits.
        reparam_conv_k: Local Perceptron kernels of every RepMLP block.
        fc3_groups: channel groups `g` of every RepMLP block's `fc3`.
        deploy: build the deploy (reparameterized) form.
        name: model name.

    Returns:
        A `keras.Model`.

    Example:

    ```python
    model = keras_mlp.RepMLPCIFAR()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ```
    """
    common.validate_head_args(include_top, pooling, classes, classifier_activation)
    img_input, input_shape = common.image_input(input_tensor, input_shape, 32)
    multiple = PARTITION_SIZE * 2 ** (len(STAGE_CHANNELS) - 1)
    if input_shape[0] % multiple or input_shape[1] % multiple:
        raise ValueError(
            f"`input_shape` height and width must be multiples of {multiple}: "
            f"the last stage runs at stride {multiple // PARTITION_SIZE} with "
            f"{PARTITION_SIZE}x{PARTITION_SIZE} partitions. Received: input_shape={input_shape}"
        )
    x = ConvBN(STAGE_CHANNELS[0], 3, padding=1, activation="relu", deploy=deploy, name="stem")(img_input)
    for stage, channels in enumerate(STAGE_CHANNELS):
        if stage:
            x = keras.layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
        x = ConvBN(channels, 1, activation="relu", deploy=deploy, name=f"stage{stage}_fc")(x)
        x = RepMLPV1Block(
            PARTITION_SIZE,
            PARTITION_SIZE,
            reparam_conv_k=reparam_conv_k,
            fc3_groups=fc3_groups,
            deploy=deploy,
            name=f"stage{stage}_repmlp",
        )(x)
        x = keras.layers.ReLU(name=f"stage{stage}_relu")(x)
    x = common.classification_head(
        x, include_top, pooling, classes, classifier_activation, "glorot_uniform"
    )
    model = common.functional_model(img_input, input_tensor, x, name or "repmlp_cifar")
    load_keras_only(model, weights)
    return model
