"""Any keras_mlp model as a KerasHub feature-pyramid backbone."""

import inspect
import math

import keras
import keras_hub

from keras_mlp.model_io.resolver import resolve_weights
from keras_mlp.models.registry import create_model, get_constructor
from keras_mlp.segmentation.feature_points import STRIDES, backbone_features, feature_pyramid
from keras_mlp.validation import InputSizeError

# The family argument that picks the RepMLP form.
_DEPLOY = "deploy"


@keras.saving.register_keras_serializable(package="keras_mlp")
class KerasHubBackbone(keras_hub.models.FeaturePyramidBackbone):
    """A registered keras_mlp model as `keras_hub.models.FeaturePyramidBackbone`.

    `pyramid_outputs` are `P2`..`P5`, feature maps at strides 4, 8, 16 and
    32, from the feature points the segmentation heads use: the stages of
    staged and pyramid families (RepMLPNet, CycleMLP, Wave-MLP), the simple
    feature pyramid of the last block's tokens for isotropic ones (Mixer,
    ResMLP, gMLP, the feed-forward ViT). The model's output is `P5`. Any
    KerasHub task that takes a feature-pyramid backbone takes it
    (`RetinaNetBackbone(image_encoder=...)`, `ImageClassifier`), and
    `save_to_preset` writes a preset that
    `keras_hub.models.Backbone.from_preset` loads once keras_mlp is
    imported.

    Args:
        model_name: a `keras_mlp.list_models()` name.
        weights: anything the classifiers' `weights=` takes: `None`, a
            pretrained tag, a checkpoint path, a keras_mlp `.keras` file or
            training run directory, a Hub reference.
        image_shape: `(height, width, 3)`. Default `(None, None, 3)` (any
            size) for the families that take any size (CycleMLP, Wave-MLP),
            else the weights' input size, else the family's.
        architecture: the family's own constructor arguments
            (`gelu_approximate`, `token_mixing_grid`, `deploy`, ...); default
            those the weights imply. A saved config records them, so the
            model rebuilds as it was.
        **kwargs: `name`, `dtype`, `trainable`, as every KerasHub backbone.

    Example:

    ```python
    backbone = keras_mlp.KerasHubBackbone("cyclemlp_b1", weights="imagenet1k")
    classifier = keras_hub.models.ImageClassifier(backbone=backbone, num_classes=10)
    backbone.save_to_preset("cyclemlp_b1_preset")
    keras_hub.models.Backbone.from_preset("cyclemlp_b1_preset")
    ```
    """

    def __init__(self, model_name, weights=None, image_shape=None, architecture=None, **kwargs):
        resolved = resolve_weights(weights, model=model_name)
        architecture = dict(resolved.extras if architecture is None else architecture)
        model = _feature_model(resolved, image_shape, architecture)
        image_shape = model.input_shape[1:]
        images = keras.Input(shape=image_shape, name="images")
        pyramid = feature_pyramid(backbone_features(model), images)
        _check_strides(resolved.model, image_shape, pyramid)
        super().__init__(inputs=images, outputs=pyramid[-1], **kwargs)
        self.pyramid_outputs = {f"P{stride.bit_length() - 1}": level for stride, level in zip(STRIDES, pyramid)}
        self.model_name = resolved.model
        self.image_shape = tuple(image_shape)
        self.architecture = architecture

    def get_config(self):
        # The preset's weights file holds the arrays: the config rebuilds the
        # architecture only.
        return {
            **super().get_config(),
            "model_name": self.model_name,
            "image_shape": self.image_shape,
            "architecture": self.architecture,
        }

    @classmethod
    def deploy_config(cls, config):
        """`config` of the same backbone in its deploy form: what
        `keras_mlp.reparameterize` builds before it copies fused weights."""
        if _DEPLOY not in inspect.signature(get_constructor(config["model_name"])).parameters:
            return config
        return {**config, "architecture": {**config["architecture"], _DEPLOY: True}}


def _check_strides(model_name, image_shape, pyramid):
    """KerasHub's anchors assume level `n` at stride `2**n` exactly."""
    height = image_shape[0]
    if height is None:
        return
    for stride, level in zip(STRIDES, pyramid):
        if level.shape[1] != math.ceil(height / stride):
            raise InputSizeError(
                f"{model_name} at input height {height} gives a {level.shape[1]}-row map where stride "
                f"{stride} needs {math.ceil(height / stride)}: its patch size is no power of two, and "
                "KerasHub's anchors need strides 4, 8, 16, 32. Use a model with patches of 4, 8, 16 or 32."
            )


def _feature_model(resolved, image_shape, architecture):
    """The `features_only` model at `image_shape`, with the weights; by
    default at any size where the family takes it, else at the weights' (or
    the family's) size."""
    def build(shape, **kwargs):
        return create_model(resolved.model, input_shape=shape, **architecture, **kwargs)

    if image_shape is None:
        try:
            # A family that needs a known size says so before building anything.
            model = build((None, None, 3), include_top=False, features_only=True)
        except InputSizeError:
            model = build(resolved.arguments.get("input_shape"), include_top=False, features_only=True)
    else:
        model = build(tuple(image_shape), include_top=False, features_only=True)
    if resolved.weights is not None:
        # A classifier's weights hold what `features_only` leaves out (the
        # final norm), which its loader refuses as not fitting: load them
        # into the headless model, then take its layers' weights.
        source = build(model.input_shape[1:], include_top=False, weights=resolved.weights)
        for layer in model.layers:
            if layer.weights:
                layer.set_weights(source.get_layer(layer.name).get_weights())
    return model
