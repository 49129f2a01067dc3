"""Every registered model, at the smallest input its builder accepts.

Tests that loop over `keras_mlp.list_models()` cover each family as soon as
it registers its names.
"""

import keras
import numpy as np

import keras_mlp
from keras_mlp.layers import Reparameterizable
from keras_mlp.models import factory

# Square sides tried in order; each family accepts one of them.
CANDIDATE_SIDES = (28, 32, 56, 64, 112, 128, 224, 256)


# The smallest registered model of each family, as its `Family` declares it:
# the conformance matrix runs these in the default suite and every name
# under -m slow.
REPRESENTATIVES = tuple(family.representative for family in factory.families())


def smallest_side(name):
    """The smallest square side in `CANDIDATE_SIDES` that `name` accepts."""
    return smallest_model(name, include_top=False, pooling="avg").input_shape[1]


def smallest_model(name, **kwargs):
    """`create_model(name, **kwargs)` at the smallest accepted square input."""
    errors = []
    for side in CANDIDATE_SIDES:
        try:
            return keras_mlp.create_model(name, input_shape=(side, side, 3), **kwargs)
        except keras_mlp.InputSizeError:
            errors.append(side)
    raise AssertionError(f"{name} accepts none of the sides {errors}.")


def randomize_head(model, seed=0):
    """Random classifier weights: Mixer heads start at zero, which would make
    every logit equal and every output comparison pass trivially."""
    head = model.get_layer("predictions")
    rng = np.random.RandomState(seed)
    head.set_weights([rng.normal(size=w.shape).astype("float32") for w in head.get_weights()])


def deploy_form(model):
    """What to serve: the reparameterized model where it has RepMLP layers."""
    if any(isinstance(layer, Reparameterizable) for layer in model.layers):
        return keras_mlp.reparameterize(model)
    return model


# One small instance of each family's generic builder, for the default suite
# (the registered sizes take minutes to export on 2 cores; they run under -m slow).
TINY_MODELS = {
    "mlp_mixer": lambda **kwargs: keras_mlp.MLPMixer(
        patch_size=8, hidden_dim=16, num_blocks=2, tokens_mlp_dim=8,
        channels_mlp_dim=32, input_shape=(32, 32, 3), **kwargs
    ),
    "feedforward_vit": lambda **kwargs: keras_mlp.FeedForwardViT(
        patch_size=8, hidden_dim=16, num_blocks=2, num_heads=2, input_shape=(32, 32, 3), **kwargs
    ),
    "resmlp": lambda **kwargs: keras_mlp.ResMLP(
        patch_size=8, hidden_dim=16, num_blocks=2, input_shape=(32, 32, 3), **kwargs
    ),
    "gmlp": lambda **kwargs: keras_mlp.GMLP(
        patch_size=8, hidden_dim=16, num_blocks=2, input_shape=(32, 32, 3), **kwargs
    ),
    "repmlpnet": lambda **kwargs: keras_mlp.RepMLPNet(
        channels=(8, 16, 32, 64), num_blocks=(1, 1, 1, 1), sharesets_nums=(1, 2, 4, 8),
        partition_sizes=(8, 4, 2, 1), input_shape=(32, 32, 3), **kwargs
    ),
    # Non-square, so that a shift along the wrong image axis cannot pass.
    "cyclemlp": lambda **kwargs: keras_mlp.CycleMLP(
        embed_dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), mlp_ratios=(2, 2, 2, 2), input_shape=(32, 48, 3),
        **kwargs
    ),
    # The depthwise phase convs of T* with the GroupNorms of S and M: every op the family has.
    "wavemlp": lambda **kwargs: keras_mlp.WaveMLP(
        embed_dims=(8, 16, 24, 32), depths=(1, 1, 1, 1), mlp_ratios=(2, 2, 2, 2), mode="depthwise",
        norm="group", input_shape=(32, 48, 3), **kwargs
    ),
}


def images(model, batch=4, seed=0):
    shape = (batch, *model.input_shape[1:])
    return np.random.RandomState(seed).normal(size=shape).astype("float32")


def logits_model(name, seed=0):
    """A registered (or `TINY_MODELS`) model with a random 10-class logits
    head, in deploy form."""
    keras.utils.set_random_seed(seed)
    kwargs = dict(classes=10, classifier_activation=None)
    if name in TINY_MODELS:
        model = TINY_MODELS[name](**kwargs)
    else:
        model = smallest_model(name, **kwargs)
    randomize_head(model, seed)
    return deploy_form(model)
