"""UPerNet (Xiao et al., ECCV 2018) as mmsegmentation's `UPerHead`, over any
keras_mlp backbone: the RepMLPNet README's segmentation setting."""

import keras

from keras_mlp import validation
from keras_mlp.segmentation import blocks


@blocks.documented(
    "upernet",
    channels="width of the head (512 in mmsegmentation).",
    pool_scales="output grids of the pyramid pooling.",
)
def UPerNet(
    backbone,
    classes,
    backbone_weights=None,
    input_shape=None,
    channels=512,
    pool_scales=(1, 2, 3, 6),
    dropout_rate=0.1,
    name=None,
):
    """Instantiates a UPerNet semantic segmentation model.

    Pyramid pooling on the stride-32 map, 1x1 lateral convs and a top-down
    FPN over the four levels, a 3x3 conv per level, every level resized to
    stride 4 and concatenated, a 3x3 fusion conv and a 1x1 classifier; the
    logits are resized to the input.

    Example:

    ```python
    model = keras_mlp.UPerNet("repmlpnet_t224", classes=150, input_shape=(224, 224, 3))
    model.compile("adamw", keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255))
    ```
    """
    validation.positive_int("channels", channels)
    pool_scales = blocks.check_scales("pool_scales", pool_scales)

    def head(pyramid):
        laterals = [blocks.conv_norm_act(x, channels, 1, f"lateral{i}") for i, x in enumerate(pyramid[:-1])]
        top = blocks.pyramid_pooling(pyramid[-1], pool_scales, channels, "ppm")
        laterals.append(blocks.conv_norm_act(top, channels, 3, "ppm_bottleneck"))
        for i in range(len(laterals) - 1, 0, -1):
            up = blocks.resize(laterals[i], laterals[i - 1].shape[1:3], f"top_down{i}_resize")
            laterals[i - 1] = keras.layers.Add(name=f"top_down{i}_add")([laterals[i - 1], up])
        outs = [blocks.conv_norm_act(x, channels, 3, f"fpn{i}") for i, x in enumerate(laterals[:-1])]
        outs.append(laterals[-1])
        size = outs[0].shape[1:3]
        outs = [outs[0]] + [blocks.resize(x, size, f"fpn{i}_resize") for i, x in enumerate(outs) if i]
        x = keras.layers.Concatenate(name="fpn_concat")(outs)
        return blocks.conv_norm_act(x, channels, 3, "fpn_bottleneck")

    return blocks.segmenter(head, backbone, classes, backbone_weights, input_shape, dropout_rate, name, "upernet")

