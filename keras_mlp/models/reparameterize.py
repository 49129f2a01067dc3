"""Deploy copy of a model: every reparameterizable layer in its fused form."""

import keras
import numpy as np

from keras_mlp.layers.reparameterizable import Reparameterizable
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.loading import load_weights


def reparameterize(model):
    """Returns the deploy form of `model`; `model` itself is left untouched.

    Every `Reparameterizable` layer (RepMLP blocks, `ConvBN`, ...) of the
    model, or of models nested in it, is rebuilt with `deploy=True` and
    given its fused weights; every other layer gets a copy of its weights.
    In inference mode the result computes the same outputs with fewer
    operations. Fine-tune or train the original model; deploy the copy.

    Args:
        model: a functional, sequential or subclassed `keras.Model` whose
            reparameterizable layers are its layers or those of its nested
            models, and whose class round-trips through `get_config()`; a
            nested model whose config does not list its layers gives its
            deploy config through a `deploy_config(config)` classmethod.

    Returns:
        A new `keras.Model` of the same class and name.

    Example:

    ```python
    model = keras_mlp.RepMLPNetT224(weights="RepMLPNet-T224-train.pth")
    deploy_model = keras_mlp.reparameterize(model)
    deploy_model.save("repmlpnet_t224_deploy.keras")
    ```
    """
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"`model` must be a keras.Model. Received: model={type(model).__name__}"
        )
    config = _deploy_config(model.get_config())
    deploy = model.__class__.from_config(config)
    _copy_weights(model, deploy)
    return deploy


def randomize_batch_norms(model, seed=0):
    """Random moving mean/variance, gamma and beta in every BatchNorm of `model`.

    Fresh BatchNorms compute the identity in inference mode, so a check that
    `reparameterize` keeps the outputs would pass even with the statistics
    folded wrongly; with these values, as after training, it can fail.
    """
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        name = variable.path.rsplit("/", 1)[-1]
        if name == "moving_variance":
            variable.assign(rng.uniform(0.5, 1.5, variable.shape))
        elif name in ("moving_mean", "beta"):
            variable.assign(rng.normal(0.0, 0.1, variable.shape))
        elif name == "gamma":
            variable.assign(rng.uniform(0.5, 1.5, variable.shape))


def _deploy_config(config):
    """`config` with `deploy=True` in every reparameterizable layer's config."""
    if isinstance(config, list):
        return [_deploy_config(item) for item in config]
    if not isinstance(config, dict):
        return config
    config = {key: _deploy_config(value) for key, value in config.items()}
    registered = config.get("registered_name")
    cls = keras.saving.get_registered_object(registered) if registered else None
    if isinstance(cls, type) and issubclass(cls, Reparameterizable):
        config["config"] = dict(config["config"], deploy=True)
    elif hasattr(cls, "deploy_config"):
        # A model whose config names its architecture rather than listing
        # its layers (`keras_mlp.KerasHubBackbone`) says its deploy form.
        config["config"] = cls.deploy_config(config["config"])
    return config


def _copy_weights(source, target):
    if isinstance(source, Reparameterizable) and not source.deploy:
        target.set_weights(source.fused_weights())
    elif isinstance(source, keras.Model):
        for source_layer, target_layer in zip(source.layers, target.layers):
            _copy_weights(source_layer, target_layer)
    else:
        target.set_weights(source.get_weights())


def load_in_form(build, deploy, source, spec):
    """`build(deploy)` with `source` loaded, in the requested form.

    A checkpoint of the requested form loads directly. A training-form one
    asked for in deploy form is loaded into the training form as trained,
    then fused: deploy weights are a function of training weights, never
    the other way round, so a deploy-form checkpoint with `deploy=False`
    stays an error (the family's `CheckpointSpec.hint` says so).
    """
    model = build(deploy)
    if not source:
        return model
    try:
        load_weights(model, source, spec)
        return model
    except CheckpointError as deploy_error:
        if not deploy:
            raise
        trained = build(False)
        try:
            load_weights(trained, source, spec)
        except CheckpointError:
            raise deploy_error from None
    return reparameterize(trained)
