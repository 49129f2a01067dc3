"""RepMLP-ResNet (Ding et al., 2021, arXiv 2105.01883, Sec. 4.2).

ResNet-50 whose stride-1 bottlenecks in stages 2 and 3 (strides 8 and 16)
are replaced by RepMLP Light or RepMLP Bottleneck blocks, as the official
`repmlp_resnet.py` / `repmlp_blocks.py` (github.com/DingXiaoH/RepMLP, 2021
version). Every conv is a `ConvBN`, so `keras_mlp.reparameterize(model)`
fuses the whole network, like the official `switch_to_deploy()`.
"""

import keras

from keras_mlp.layers.conv_bn import ConvBN
from keras_mlp.layers.repmlp_v1_block import RepMLPV1Block
from keras_mlp.models import common
from keras_mlp.models.registry import register_model
from keras_mlp.weights.loading import KERAS_SUFFIX, WeightsSource, load_keras_weights

STAGE_CHANNELS = (256, 512, 1024, 2048)
MODEL_CONFIGS = {
    "repmlp_res50_light_224": dict(block_type="light", fc3_groups=4),
    "repmlp_res50_bottleneck_224": dict(block_type="bottleneck", fc3_groups=8),
}
BLOCK_TYPES = ("base", "light", "bottleneck")
# Stages (by total stride) whose stride-1 blocks are RepMLP blocks.
_REPMLP_STRIDES = (8, 16)

BASE_DOCSTRING = """Instantiates {title} (RepMLP, arXiv 2105.01883).

Inputs are channels-last RGB images normalised with the ImageNet mean and
standard deviation. Height and width must be multiples of 112 (the 7x7
partitions of the stride-16 stage); the Global Perceptron's size follows
the resolution.

Args:
    include_top: whether to include the average pool and classifier.
    weights: `None` (random initialisation) or a keras_mlp `.weights.h5`
        (the official v1 checkpoints are not converted).
    input_tensor: optional Keras tensor to use as the image input.
    input_shape: optional `(height, width, 3)`; defaults to `(224, 224, 3)`.
    pooling: with `include_top=False`: `None`, `"avg"` or `"max"`.
    classes: number of classes of the head.
    classifier_activation: activation of the head; `None` returns logits.
    features_only: return the four stage outputs (strides 4, 8, 16, 32) as
        a list, for dense prediction; needs `include_top=False`.
    deploy: build the deploy (reparameterized) form.
    name: model name.

Returns:
    A `keras.Model`.

Example:

```python
model = keras_mlp.{constructor}(weights=None, classes=10)
deploy_model = keras_mlp.reparameterize(model)
```
"""


def RepMLPResNet(
    num_blocks=(3, 4, 6, 3),
    block_type="light",
    partition_size=7,
    reparam_conv_k=(1, 3, 5),
    fc1_fc2_reduction=1,
    fc3_groups=4,
    bottleneck_r=(2, 4),
    model_name="repmlp_resnet",
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    features_only=False,
    deploy=False,
    name=None,
):
    """Generic RepMLP-ResNet builder; see `RepMLPRes50Light224` for the arguments.

    `block_type` is `"base"` (plain ResNet), `"light"` or `"bottleneck"`;
    `bottleneck_r` is the RepMLP Bottleneck's channel reduction in the
    stride-8 and stride-16 stages.
    """
    if block_type not in BLOCK_TYPES:
        raise ValueError(f"`block_type` must be one of {BLOCK_TYPES}. Received: block_type={block_type!r}")
    common.validate_head_args(include_top, pooling, classes, classifier_activation)
    common.validate_features_only(features_only, include_top)
    img_input, input_shape = common.image_input(input_tensor, input_shape, 224)
    multiple = max(_REPMLP_STRIDES) * partition_size
    if block_type != "base" and (input_shape[0] % multiple or input_shape[1] % multiple):
        raise ValueError(
            f"`input_shape` height and width must be multiples of {multiple}: "
            f"the stride-{max(_REPMLP_STRIDES)} stage is cut into "
            f"{partition_size}x{partition_size} partitions. Received: input_shape={input_shape}"
        )
    repmlp = dict(
        h=partition_size,
        w=partition_size,
        reparam_conv_k=reparam_conv_k,
        fc1_fc2_reduction=fc1_fc2_reduction,
        fc3_groups=fc3_groups,
        deploy=deploy,
    )

    x = ConvBN(64, 7, strides=2, padding=3, activation="relu", deploy=deploy, name="stem")(img_input)
    # Zero padding equals PyTorch's -inf padding here: the inputs are >= 0.
    x = keras.layers.ZeroPadding2D(1, name="stem_pool_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="stem_pool")(x)
    stage_outputs = []
    for stage, (channels, depth) in enumerate(zip(STAGE_CHANNELS, num_blocks)):
        total_stride = 4 * 2**stage
        for block in range(depth):
            prefix = f"stage{stage + 1}_block{block}"
            stride = 2 if stage > 0 and block == 0 else 1
            if block_type == "base" or stride == 2 or total_stride not in _REPMLP_STRIDES:
                x = _base_block(x, channels, stride, deploy, prefix)
            elif block_type == "light":
                x = _light_block(x, channels, repmlp, prefix)
            else:
                r = bottleneck_r[_REPMLP_STRIDES.index(total_stride)]
                x = _bottleneck_block(x, channels, r, repmlp, prefix)
        stage_outputs.append(x)

    if features_only:
        outputs = stage_outputs
    else:
        outputs = common.classification_head(
            x, include_top, pooling, classes, classifier_activation, "glorot_uniform"
        )
    model = common.functional_model(img_input, input_tensor, outputs, name or model_name)
    load_keras_only(model, weights)
    return model


def load_keras_only(model, weights):
    """Loads a keras_mlp `.weights.h5`: the only weights these models have."""
    if weights is None:
        return
    if not str(weights).endswith(KERAS_SUFFIX):
        raise ValueError(
            "No official checkpoints of this model are supported; `weights` "
            f"must be None or a keras_mlp `{KERAS_SUFFIX}` file. Received: weights={weights!r}"
        )
    load_keras_weights(model, WeightsSource(weights, model.name).local_path())


def _residual(x, y, shortcut, prefix):
    if shortcut is not None:
        x = ConvBN(**shortcut, name=f"{prefix}_shortcut")(x)
    y = keras.layers.Add(name=f"{prefix}_add")([x, y])
    return keras.layers.ReLU(name=f"{prefix}_out")(y)


def _base_block(x, channels, stride, deploy, prefix):
    shortcut = None
    if stride != 1 or x.shape[-1] != channels:
        shortcut = dict(filters=channels, kernel_size=1, strides=stride, deploy=deploy)
    mid = channels // 4
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_conv1")(x)
    y = ConvBN(mid, 3, strides=stride, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_conv2")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_conv3")(y)
    return _residual(x, y, shortcut, prefix)


def _light_block(x, channels, repmlp, prefix):
    deploy = repmlp["deploy"]
    mid = channels // 8
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_light_conv1")(x)
    y = RepMLPV1Block(**repmlp, name=f"{prefix}_light_repmlp")(y)
    y = keras.layers.ReLU(name=f"{prefix}_repmlp_relu")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_light_conv3")(y)
    return _residual(x, y, None, prefix)


def _bottleneck_block(x, channels, r, repmlp, prefix):
    deploy = repmlp["deploy"]
    mid = channels // 4
    y = ConvBN(mid, 1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv1")(x)
    y = ConvBN(mid // r, 3, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv2")(y)
    y = RepMLPV1Block(**repmlp, name=f"{prefix}_btnk_repmlp")(y)
    y = keras.layers.ReLU(name=f"{prefix}_repmlp_relu")(y)
    y = ConvBN(mid, 3, padding=1, activation="relu", deploy=deploy, name=f"{prefix}_btnk_conv4")(y)
    y = ConvBN(channels, 1, deploy=deploy, name=f"{prefix}_btnk_conv5")(y)
    return _residual(x, y, None, prefix)


def _constructor(model_name, title, public_name):
    config = MODEL_CONFIGS[model_name]

    @register_model(model_name)
    def constructor(
        include_top=True,
        weights=None,
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        features_only=False,
        deploy=False,
        name=None,
    ):
        return RepMLPResNet(
            **config,
            model_name=model_name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            features_only=features_only,
            deploy=deploy,
            name=name,
        )

    constructor.__name__ = constructor.__qualname__ = public_name
    constructor.__doc__ = BASE_DOCSTRING.format(title=title, constructor=public_name)
    return constructor


RepMLPRes50Light224 = _constructor("repmlp_res50_light_224", "RepMLP-Res50-Light-224", "RepMLPRes50Light224")
RepMLPRes50Bottleneck224 = _constructor(
    "repmlp_res50_bottleneck_224", "RepMLP-Res50-Bottleneck-224", "RepMLPRes50Bottleneck224"
)
