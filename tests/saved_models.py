"""Small saved-model fixtures: metadata, a compiled toy model, files torn as a kill leaves them."""

import keras

from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.model_io.metadata import ModelMetadata

# A 3-class Mixer-T/4 at 16x16, as a training run would describe it.
TINY_METADATA = ModelMetadata(
    "mixer_t4",
    {"input_shape": (16, 16, 3), "classes": 3, "classifier_activation": None},
    INCEPTION.replace(crop_pct=1.0, interpolation="bilinear", input_size=16),
    ["cat", "dog", "bird"],
    extra={"dataset": "pets", "results": {"top1": 0.5}},
)


def toy_model(outputs=2):
    """A compiled two-layer model with its optimizer built: a training state in milliseconds."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(outputs)])
    model.compile(keras.optimizers.Adam(0.1), "mse")
    model.optimizer.build(model.trainable_variables)
    return model


def tear(path, keep=0.5):
    """Cuts a file as a kill mid-write would (keep=0: the 0-byte file)."""
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: int(len(data) * keep)])
