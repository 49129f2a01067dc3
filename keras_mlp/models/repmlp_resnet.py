"""RepMLP-ResNet (Ding et al., 2021, arXiv 2105.01883, Sec. 4.2 and 4.4).

ResNet-50 whose stride-1 bottlenecks in its second and third stages (c3
and c4) are replaced by RepMLP Light or RepMLP Bottleneck blocks, as the official
`repmlp_resnet.py` / `repmlp_blocks.py` (github.com/DingXiaoH/RepMLP, 2021
version). Every conv is a `ConvBN`, so `keras_mlp.reparameterize(model)`
fuses the whole network, like the official `switch_to_deploy()`.

The face variant (the paper's face recognition experiment, for which no code
was released) takes 112x112 aligned faces with the face ResNets' stem
(InsightFace's `iresnet.py`): a stride-1 3x3 conv and no max pool, every
stage opening with a stride-2 block, so the stages run at 56, 28, 14 and 7
pixels and the RepMLP blocks at 28x28 and 14x14, the sizes they have in the
ImageNet model at 224.
"""

import keras

from keras_mlp import validation
from keras_mlp.layers.conv_bn import ConvBN
from keras_mlp.layers.repmlp_v1_block import RepMLPV1Block
from keras_mlp.models import common, factory
from keras_mlp.models.naming import block_name
from keras_mlp.models.reparameterize import load_in_form
from keras_mlp.weights.loading import CheckpointSpec, WeightsSource

STAGE_CHANNELS = (256, 512, 1024, 2048)
MODEL_CONFIGS = {
    "repmlp_res50_light_224": dict(block_type="light", fc3_groups=4),
    "repmlp_res50_bottleneck_224": dict(block_type="bottleneck", fc3_groups=8),
    "repmlp_face_res50": dict(block_type="light", fc3_groups=4, stem="face"),
}
STEMS = ("imagenet", "face")
BLOCK_TYPES = ("base", "light", "bottleneck")
# Stages whose stride-1 blocks are RepMLP blocks (c3 and c4).
_REPMLP_STAGES = (1, 2)

_EXAMPLE = """\
model = keras_mlp.{constructor}(weights=None, classes=10)
deploy_model = keras_mlp.reparameterize(model)"""

BASE_DOCSTRING = """Instantiates {title} (RepMLP, arXiv 2105.01883).

{inputs} Height and width must be multiples of {multiple} (the 7x7 partitions of
the third stage); the Global Perceptron's size follows the resolution.
"""
_IMAGENET_INPUTS = (
    "Inputs are channels-last RGB images normalised with the ImageNet mean and\n"
    "standard deviation."
)


def _build(
    args,
    *,
    model_name,
    num_blocks=(3, 4, 6, 3),
    block_type="light",
    partition_size=7,
    reparam_conv_k=(1, 3, 5),
    fc1_fc2_reduction=1,
    fc3_groups=4,
    bottleneck_r=(2, 4),
    stem="imagenet",
    deploy=False,
):
    validation.one_of("block_type", block_type, BLOCK_TYPES)
    validation.one_of("stem", stem, STEMS)
    source = WeightsSource(args.weights, model_name)
    img_input, input_shape = common.image_input(args, 112 if stem == "face" else 224)
    # Total stride of the last RepMLP stage: the face stem keeps full resolution.
    last_stride = 2 ** max(_REPMLP_STAGES) * (2 if stem == "face" else 4)
    if block_type != "base":
        common.check_multiple(
            input_shape,
            last_stride * partition_size,
            f"the stride-{last_stride} stage is cut into {partition_size}x{partition_size} partitions",
        )

    def build(deploy):
        repmlp = dict(
            h=partition_size,
            w=partition_size,
            reparam_conv_k=reparam_conv_k,
            fc1_fc2_reduction=fc1_fc2_reduction,
            fc3_groups=fc3_groups,
            deploy=deploy,
        )
        if stem == "face":
            x = ConvBN(64, 3, padding=1, activation="relu", deploy=deploy, name="stem")(img_input)
        else:
            x = ConvBN(64, 7, strides=2, padding=3, activation="relu", deploy=deploy, name="stem")(img_input)
            # Zero padding equals PyTorch's -inf padding here: the inputs are >= 0.
            x = keras.layers.ZeroPadding2D(1, name="stem_pool_pad")(x)
            x = keras.layers.MaxPooling2D(3, strides=2, name="stem_pool")(x)
        features = {}
        for stage, (channels, depth) in enumerate(zip(STAGE_CHANNELS, num_blocks)):
            opening_stride = 2 if stage > 0 or stem == "face" else 1
            for block in range(depth):
                prefix = block_name(block, stage)
                stride = opening_stride if block == 0 else 1
                if block_type == "base" or stride == 2 or stage not in _REPMLP_STAGES:
                    x = _base_block(x, channels, stride, deploy, prefix, args.drop_path_rate)
                elif block_type == "light":
                    x = _light_block(x, channels, repmlp, prefix, args.drop_path_rate)
                else:
                    r = bottleneck_r[_REPMLP_STAGES.index(stage)]
                    x = _bottleneck_block(x, channels, r, repmlp, prefix, args.drop_path_rate)
            features[prefix] = x
        return common.functional_model(
            args, img_input, features, lambda: common.pooled_head(args, x, "glorot_uniform"), model_name
        )

    return load_in_form(build, deploy, source, SPEC)


# The official v1 checkpoints are not converted: keras_mlp's own files only.
SPEC = CheckpointSpec()


def _residual(x, y, shortcut, prefix, drop_path_rate):
    if shortcut is not None:
        x = ConvBN(**shortcut, name=f"{prefix}_shortcut")(x)
    y = common.residual_add(x, y, drop_path_rate, f"{prefix}_add")
    return keras.layers.ReLU(name=f"{prefix}_out")(y)


def _base_block(x, channels, stride, deploy, prefix, drop_path_rate):
    shortcut = None
    if stride != 1 or x.shape[-1] != channels:
        shortcut = dict(filters=channels, kernel_size=1, strides=stride, deploy=deploy)
    mid = channels // 4
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_conv1")(x)
    y = ConvBN(mid, 3, strides=stride, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_conv2")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_conv3")(y)
    return _residual(x, y, shortcut, prefix, drop_path_rate)


def _light_block(x, channels, repmlp, prefix, drop_path_rate):
    deploy = repmlp["deploy"]
    mid = channels // 8
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_light_conv1")(x)
    y = RepMLPV1Block(**repmlp, name=f"{prefix}_light_repmlp")(y)
    y = keras.layers.ReLU(name=f"{prefix}_repmlp_relu")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_light_conv3")(y)
    return _residual(x, y, None, prefix, drop_path_rate)


def _bottleneck_block(x, channels, r, repmlp, prefix, drop_path_rate):
    deploy = repmlp["deploy"]
    mid = channels // 4
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv1")(x)
    y = ConvBN(mid // r, 3, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv2")(y)
    y = RepMLPV1Block(**repmlp, name=f"{prefix}_btnk_repmlp")(y)
    y = keras.layers.ReLU(name=f"{prefix}_repmlp_relu")(y)
    y = ConvBN(mid, 3, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv4")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_btnk_conv5")(y)
    return _residual(x, y, None, prefix, drop_path_rate)


FAMILY = factory.Family(
    build=_build,
    extras=(("deploy", False),),
    docstring=BASE_DOCSTRING,
    example=_EXAMPLE,
    configs=MODEL_CONFIGS,
    representative="repmlp_res50_light_224",
    arg_docs=dict(
        input_shape="optional `(height, width, 3)`; defaults to `({default_size}, {default_size}, 3)`.",
        weights=(
            "`None` (random initialisation), a keras_mlp `.weights.h5` or a "
            "saved `.keras` model (the official v1 checkpoints are not converted)."
        ),
        features_only=(
            "return a dict `{{\"stage0_block_2\": ..., ...}}` of the last "
            "block's output of each of the four stages (strides {strides}), "
            "for dense prediction; needs `include_top=False`."
        ),
        deploy="build the deploy (reparameterized) form.",
    ),
)

RepMLPResNet = factory.generic_builder(
    FAMILY,
    "RepMLPResNet",
    optional=(
        ("num_blocks", (3, 4, 6, 3)),
        ("block_type", "light"),
        ("partition_size", 7),
        ("reparam_conv_k", (1, 3, 5)),
        ("fc1_fc2_reduction", 1),
        ("fc3_groups", 4),
        ("bottleneck_r", (2, 4)),
        ("stem", "imagenet"),
    ),
    see="RepMLPRes50Light224",
    example="num_blocks=(1, 1, 1, 1), input_shape=(112, 112, 3)",
    title="RepMLP-ResNet",
    model_name="repmlp_resnet",
    doc="""
    `block_type` is `"base"` (plain ResNet), `"light"` or `"bottleneck"`;
    `bottleneck_r` is the RepMLP Bottleneck's channel reduction in the
    second and third stages; `stem` is `"imagenet"` (7x7 stride-2
    conv and max pool) or `"face"` (3x3 stride-1 conv, every stage opening
    with a stride-2 block, for 112x112 faces).
    """,
)

_IMAGENET_DOC = dict(inputs=_IMAGENET_INPUTS, default_size=224, strides="4, 8, 16, 32", multiple=112)
RepMLPRes50Light224 = factory.constructor(
    FAMILY, "repmlp_res50_light_224", "RepMLPRes50Light224", "RepMLP-Res50-Light-224", **_IMAGENET_DOC
)
RepMLPRes50Bottleneck224 = factory.constructor(
    FAMILY, "repmlp_res50_bottleneck_224", "RepMLPRes50Bottleneck224", "RepMLP-Res50-Bottleneck-224", **_IMAGENET_DOC
)
RepMLPFaceRes50 = factory.constructor(
    FAMILY, "repmlp_face_res50", "RepMLPFaceRes50", "RepMLP-FaceRes50",
    inputs=(
        "The face ResNet-50 of the paper's face recognition experiment, with\n"
        "RepMLP Light blocks at 28x28 and 14x14; the backbone of\n"
        "`keras_mlp.FaceEmbedder(\"repmlp_face_res50\")`. Inputs are aligned\n"
        "112x112 RGB faces scaled to [-1, 1], as InsightFace feeds them."
    ),
    default_size=112, strides="2, 4, 8, 16", multiple=56,
)
