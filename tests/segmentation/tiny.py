"""Tiny `features_only` backbones of each kind, for fast segmentation tests."""

import keras_mlp
from tests.registered_models import TINY_MODELS

# One isotropic family without and one with a class token, and a staged one.
KINDS = ("mlp_mixer", "feedforward_vit", "repmlpnet")


def tiny_backbone(kind, **kwargs):
    return TINY_MODELS[kind](include_top=False, features_only=True, **kwargs)


def tiny_segmenter(head, kind, classes=3, **kwargs):
    widths = dict(neck_channels=8) if head is keras_mlp.SemanticFPN else {}
    return head(tiny_backbone(kind), classes=classes, channels=8, **widths, **kwargs)


def check_segmenter(test, model, classes=3, side=32):
    """Logits of the input's size that depend on the input, and a `.keras`
    round trip that keeps them."""
    import keras
    import numpy as np

    x = np.random.RandomState(0).uniform(-1, 1, size=(2, side, side, 3)).astype("float32")
    y = test.assertDependsOnTheInput(model, x, (2, side, side, classes), 1e-6, "logits")
    path = test.get_temp_dir() + f"/{model.name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    test.assertAllClose(restored(x, training=False), y, atol=1e-5)
    test.assertEqual([layer.name for layer in restored.layers], [layer.name for layer in model.layers])
