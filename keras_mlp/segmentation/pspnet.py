"""PSPNet (Zhao et al., CVPR 2017) as mmsegmentation's `PSPHead`, over any
keras_mlp backbone: the RepMLP paper's Cityscapes setting (arXiv 2105.01883)."""

from keras_mlp import validation
from keras_mlp.segmentation import blocks


@blocks.documented(
    "pspnet",
    channels="width of the head (512 in mmsegmentation).",
    pool_scales="output grids of the pyramid pooling.",
)
def PSPNet(
    backbone,
    classes,
    backbone_weights=None,
    input_shape=None,
    channels=512,
    pool_scales=(1, 2, 3, 6),
    dropout_rate=0.1,
    name=None,
):
    """Instantiates a PSPNet semantic segmentation model.

    Pyramid pooling over the backbone's last (stride-32) map, a 3x3
    bottleneck conv and a 1x1 classifier; the logits are resized to the
    input.

    Example:

    ```python
    model = keras_mlp.PSPNet("repmlp_res50_light_224", classes=19, input_shape=(224, 224, 3))
    ```
    """
    validation.positive_int("channels", channels)
    pool_scales = blocks.check_scales("pool_scales", pool_scales)

    def head(pyramid):
        x = blocks.pyramid_pooling(pyramid[-1], pool_scales, channels, "ppm")
        return blocks.conv_norm_act(x, channels, 3, "ppm_bottleneck")

    return blocks.segmenter(head, backbone, classes, backbone_weights, input_shape, dropout_rate, name, "pspnet")

