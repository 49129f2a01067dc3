"""Semantic FPN (Kirillov et al., CVPR 2019) as mmsegmentation's `FPN` neck
and `FPNHead`: the ADE20K setting of the PoolFormer, CycleMLP and Wave-MLP
papers, over any keras_mlp backbone."""

import keras

from keras_mlp import validation
from keras_mlp.segmentation import blocks
from keras_mlp.segmentation.feature_points import STRIDES


@blocks.documented(
    "semantic_fpn",
    neck_channels="width of the FPN neck (256 in the papers).",
    channels="width of the head (128 in the papers).",
)
def SemanticFPN(
    backbone,
    classes,
    backbone_weights=None,
    input_shape=None,
    neck_channels=256,
    channels=128,
    dropout_rate=0.1,
    name=None,
):
    """Instantiates a Semantic FPN segmentation model.

    Neck: 1x1 lateral convs, a nearest-neighbour top-down path and a 3x3 conv
    per level. Head: each level goes through 3x3 conv-BN-ReLU and 2x bilinear
    upsampling until it reaches stride 4 (one conv for stride 4), the four
    are summed, then a 1x1 classifier; the logits are resized to the input.

    Example:

    ```python
    model = keras_mlp.SemanticFPN("repmlpnet_t224", classes=150, input_shape=(224, 224, 3))
    ```
    """
    validation.positive_int("neck_channels", neck_channels)
    validation.positive_int("channels", channels)

    def head(pyramid):
        laterals = [
            keras.layers.Conv2D(neck_channels, 1, name=f"neck_lateral{i}")(x) for i, x in enumerate(pyramid)
        ]
        for i in range(len(laterals) - 1, 0, -1):
            up = blocks.resize(laterals[i], laterals[i - 1].shape[1:3], f"neck_top_down{i}_resize", "nearest")
            laterals[i - 1] = keras.layers.Add(name=f"neck_top_down{i}_add")([laterals[i - 1], up])
        levels = [
            keras.layers.Conv2D(neck_channels, 3, padding="same", name=f"neck_fpn{i}")(x)
            for i, x in enumerate(laterals)
        ]
        size = levels[0].shape[1:3]
        outputs = []
        for i, (x, stride) in enumerate(zip(levels, STRIDES)):
            steps = max(1, (stride // STRIDES[0]).bit_length() - 1)
            for step in range(steps):
                x = blocks.conv_norm_act(x, channels, 3, f"head{i}_{step}")
                if stride != STRIDES[0]:
                    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"head{i}_{step}_up")(x)
            outputs.append(blocks.resize(x, size, f"head{i}_resize"))
        return keras.layers.Add(name="head_sum")(outputs)

    return blocks.segmenter(head, backbone, classes, backbone_weights, input_shape, dropout_rate, name, "semantic_fpn")

