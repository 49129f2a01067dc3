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
from keras_mlp.models import common, factory
from keras_mlp.models.naming import block_name
from keras_mlp.models.reparameterize import load_in_form
from keras_mlp.weights.loading import CheckpointSpec, WeightsSource

STAGE_CHANNELS = (16, 32, 64)
PARTITION_SIZE = 8
# No checkpoints were published: keras_mlp's own files only.
SPEC = CheckpointSpec()

_EXAMPLE = """\
model = keras_mlp.{constructor}()
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])"""

DOCSTRING = """Instantiates the pure-MLP CIFAR model of RepMLP (arXiv 2105.01883).

Each of the three stages is one block, `stage<s>_block_0`: an FC (1x1
conv) and a RepMLP block. The model has no residual connections, so
`drop_path_rate` must stay 0.
"""


def _build(args, *, model_name, reparam_conv_k=(1, 3, 5), fc3_groups=2, deploy=False):
    if args.drop_path_rate:
        raise ValueError(
            "The RepMLP CIFAR model has no residual branches for stochastic "
            f"depth: pass drop_path_rate=0. Received: drop_path_rate={args.drop_path_rate}"
        )
    source = WeightsSource(args.weights, model_name)
    img_input, input_shape = common.image_input(args, 32)
    stride = 2 ** (len(STAGE_CHANNELS) - 1)
    common.check_multiple(
        input_shape,
        PARTITION_SIZE * stride,
        f"the last stage runs at stride {stride} with {PARTITION_SIZE}x{PARTITION_SIZE} partitions",
    )

    def build(deploy):
        x = ConvBN(STAGE_CHANNELS[0], 3, padding=1, activation="relu", deploy=deploy, name="stem")(img_input)
        features = {}
        for stage, channels in enumerate(STAGE_CHANNELS):
            prefix = block_name(0, stage)
            if stage:
                x = keras.layers.MaxPooling2D(2, name=f"{prefix}_pool")(x)
            x = ConvBN(channels, 1, activation="relu", deploy=deploy, name=f"{prefix}_fc")(x)
            x = RepMLPV1Block(
                PARTITION_SIZE,
                PARTITION_SIZE,
                reparam_conv_k=reparam_conv_k,
                fc3_groups=fc3_groups,
                deploy=deploy,
                name=f"{prefix}_repmlp",
            )(x)
            x = keras.layers.ReLU(name=f"{prefix}_relu")(x)
            features[prefix] = x
        return common.functional_model(
            args, img_input, features, lambda: common.pooled_head(args, x, "glorot_uniform"), model_name
        )

    return load_in_form(build, deploy, source, SPEC)


RepMLPCIFAR = factory.constructor(
    factory.Family(
        build=_build,
        extras=(("reparam_conv_k", (1, 3, 5)), ("fc3_groups", 2), ("deploy", False)),
        docstring=DOCSTRING,
        example=_EXAMPLE,
        representative="repmlp_cifar",
        arg_docs=dict(
            weights="`None`, a keras_mlp `.weights.h5` or a saved `.keras` model.",
            input_shape="optional `(height, width, 3)`, multiples of 32; defaults to `(32, 32, 3)`.",
            drop_path_rate="must be 0 (no residual branches to drop).",
            features_only=(
                "return a dict `{{\"stage0_block_0\": ..., ...}}` of the three "
                "stage outputs; needs `include_top=False`."
            ),
            reparam_conv_k="Local Perceptron kernels of every RepMLP block.",
            fc3_groups="channel groups `g` of every RepMLP block's `fc3`.",
            deploy="build the deploy (reparameterized) form.",
        ),
        defaults=dict(classes=10),
    ),
    "repmlp_cifar",
    "RepMLPCIFAR",
    "RepMLP CIFAR",
    {},
)
