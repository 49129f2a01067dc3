"""RepMLPNet (Ding et al., CVPR 2022, arXiv 2112.11081).

4x4 conv-BN-ReLU stem -> 4 stages of [x + RepMLPBlock(BN(x)); x + FFN(BN(x))],
with a 2x2 conv-BN-ReLU downsampling between stages -> BN -> average pool ->
linear head. Configurations follow the official `repmlpnet.py`
(github.com/DingXiaoH/RepMLP).
"""

import keras

from keras_mlp.layers.conv_bn import ConvBN, batch_norm
from keras_mlp.layers.repmlp_block import RepMLPBlock
from keras_mlp.models import common, factory
from keras_mlp.models.naming import block_name
from keras_mlp.models.reparameterize import load_in_form
from keras_mlp.validation import InputSizeError
from keras_mlp.weights import repmlp_checkpoints
from keras_mlp.weights.loading import WeightsSource

_SIZES_224 = (56, 28, 14, 7)
_SIZES_256 = (64, 32, 16, 8)
# `create_RepMLPNet_*` of the official repmlpnet.py. The partition size of each
# stage equals its feature-map size at the default resolution.
MODEL_CONFIGS = {
    "repmlpnet_t224": dict(channels=(64, 128, 256, 512), num_blocks=(2, 2, 6, 2), sharesets_nums=(1, 4, 16, 128), partition_sizes=_SIZES_224),
    "repmlpnet_b224": dict(channels=(96, 192, 384, 768), num_blocks=(2, 2, 12, 2), sharesets_nums=(1, 4, 32, 128), partition_sizes=_SIZES_224),
    "repmlpnet_t256": dict(channels=(64, 128, 256, 512), num_blocks=(2, 2, 6, 2), sharesets_nums=(1, 4, 16, 128), partition_sizes=_SIZES_256),
    "repmlpnet_b256": dict(channels=(96, 192, 384, 768), num_blocks=(2, 2, 12, 2), sharesets_nums=(1, 4, 32, 128), partition_sizes=_SIZES_256),
    "repmlpnet_d256": dict(channels=(80, 160, 320, 640), num_blocks=(2, 2, 18, 2), sharesets_nums=(1, 4, 16, 128), partition_sizes=_SIZES_256),
    "repmlpnet_l256": dict(channels=(96, 192, 384, 768), num_blocks=(2, 2, 18, 2), sharesets_nums=(1, 4, 32, 256), partition_sizes=_SIZES_256),
}
PATCH_SIZE = 4

_EXAMPLE = """\
model = keras_mlp.{constructor}(weights=None, classes=10)
deploy_model = keras_mlp.reparameterize(model)"""

BASE_DOCSTRING = """Instantiates {title} (RepMLPNet, arXiv 2112.11081).

Inputs are channels-last RGB images normalised with the ImageNet mean and
standard deviation (the official training pipeline). Height and width must
be multiples of {multiple} (the stage-1 partition of {part} pixels times
the stem's stride 4), e.g. {size} or {double}.

With `deploy=False` (default) the model is in training form: every RepMLP
block has its Local Perceptron convs and BatchNorms. Train or fine-tune it,
then call `keras_mlp.reparameterize(model)` for the deploy form (pure MLP
blocks, same outputs in inference mode, faster).
"""


def _build(
    args,
    *,
    model_name,
    channels,
    num_blocks,
    sharesets_nums,
    partition_sizes,
    reparam_conv_k=(1, 3),
    globalperceptron_reduce=4,
    ffn_expand=4,
    deploy=False,
):
    source = WeightsSource(args.weights, model_name)
    img_input, input_shape = common.image_input(args, PATCH_SIZE * partition_sizes[0])
    _check_resolution(input_shape, partition_sizes)
    rate = args.drop_path_rate

    def build(deploy):
        x = ConvBN(channels[0], PATCH_SIZE, strides=PATCH_SIZE, activation="relu", deploy=deploy, name="stem")(img_input)
        features = {}
        for stage, (width, depth, sets, size) in enumerate(
            zip(channels, num_blocks, sharesets_nums, partition_sizes)
        ):
            for block in range(depth):
                prefix = block_name(block, stage)
                y = batch_norm(f"{prefix}_prebn1")(x)
                y = RepMLPBlock(
                    size,
                    size,
                    num_sharesets=sets,
                    reparam_conv_k=reparam_conv_k,
                    globalperceptron_reduce=globalperceptron_reduce,
                    deploy=deploy,
                    name=f"{prefix}_repmlp",
                )(y)
                x = common.residual_add(x, y, rate, f"{prefix}_add1")
                y = batch_norm(f"{prefix}_prebn2")(x)
                y = ConvBN(width * ffn_expand, 1, activation="gelu", deploy=deploy, name=f"{prefix}_ffn_fc1")(y)
                y = ConvBN(width, 1, deploy=deploy, name=f"{prefix}_ffn_fc2")(y)
                x = common.residual_add(x, y, rate, f"{prefix}_add2")
            features[prefix] = x
            if stage < len(channels) - 1:
                x = ConvBN(channels[stage + 1], 2, strides=2, activation="relu", deploy=deploy, name=f"embed{stage}")(x)

        def head():
            y = batch_norm("head_norm")(x) if args.include_top else x
            return common.pooled_head(args, y, "glorot_uniform")

        return common.functional_model(args, img_input, features, head, model_name)

    return load_in_form(build, deploy, source, repmlp_checkpoints.SPEC)


def _check_resolution(input_shape, partition_sizes):
    height, width, _ = input_shape
    for stage, size in enumerate(partition_sizes):
        stride = PATCH_SIZE * 2**stage
        multiple = stride * size
        if height % multiple or width % multiple:
            smallest = max(stride * s for s in partition_sizes)
            raise InputSizeError(
                f"`input_shape` height and width must be multiples of "
                f"{smallest}: stage {stage} runs at stride {stride} with "
                f"{size}x{size} partitions. Received: input_shape={input_shape}"
            )


FAMILY = factory.Family(
    build=_build,
    extras=(("deploy", False),),
    docstring=BASE_DOCSTRING,
    example=_EXAMPLE,
    representative="repmlpnet_t224",
    arg_docs=dict(
        include_top="whether to include the final BatchNorm, pool and classifier.",
        weights=(
            "`None` (random initialisation), the path of an official RepMLPNet "
            "checkpoint (`.pth`, training or deploy form, downloaded from the "
            "links in the official README), a keras_mlp `.weights.h5` or a "
            "saved `.keras` model. A training-form checkpoint with "
            "`deploy=True` is loaded, then reparameterized."
        ),
        pooling=(
            "with `include_top=False`: `None` returns the last stage's `(batch, "
            "rows, cols, channels)` map, `\"avg\"`/`\"max\"` pool it."
        ),
        features_only=(
            "return a dict `{{\"stage0_block_<n>\": ..., ...}}` of the last "
            "block's output of each of the four stages (strides 4, 8, 16, 32), "
            "for dense prediction; needs `include_top=False`."
        ),
        deploy="build the deploy (reparameterized) form.",
    ),
)

RepMLPNet = factory.generic_builder(
    FAMILY,
    "RepMLPNet",
    required=("channels", "num_blocks", "sharesets_nums", "partition_sizes"),
    optional=(
        ("reparam_conv_k", (1, 3)),
        ("globalperceptron_reduce", 4),
        ("ffn_expand", 4),
    ),
    see="RepMLPNetB224",
    example="(8, 16, 32, 64), (1, 1, 1, 1), (1, 2, 4, 8), (8, 4, 2, 1), input_shape=(32, 32, 3)",
    doc="""
    `channels`, `num_blocks`, `sharesets_nums` and `partition_sizes` (the
    `h = w` of each stage) have one entry per stage.
    """,
)


def _constructor(model_name, title):
    config = MODEL_CONFIGS[model_name]
    public_name = title.replace("-", "")
    part = config["partition_sizes"][0]
    multiple = PATCH_SIZE * part
    return factory.constructor(
        FAMILY, model_name, public_name, title, config,
        multiple=multiple, part=part, size=multiple, double=2 * multiple, default_size=multiple,
    )


RepMLPNetT224 = _constructor("repmlpnet_t224", "RepMLPNet-T224")
RepMLPNetB224 = _constructor("repmlpnet_b224", "RepMLPNet-B224")
RepMLPNetT256 = _constructor("repmlpnet_t256", "RepMLPNet-T256")
RepMLPNetB256 = _constructor("repmlpnet_b256", "RepMLPNet-B256")
RepMLPNetD256 = _constructor("repmlpnet_d256", "RepMLPNet-D256")
RepMLPNetL256 = _constructor("repmlpnet_l256", "RepMLPNet-L256")
