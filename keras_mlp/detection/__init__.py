"""Object detection on keras_mlp backbones through KerasHub.

Needs keras-hub (the `detection` extra, then `pip install --no-deps
keras-hub==0.32.0`: docs/detection.md says why); without it the names below are missing and the rest of keras_mlp works as before. Importing the
package registers `KerasHubBackbone`, so `keras_hub.models.Backbone.from_preset`
loads its presets.
"""

# What a detector's metadata says it is (`extra["task"]`): here, not in
# `trainer.py`, so that scripts which handle every task (`examples/export.py`)
# read it without keras-hub.
TASK = "detection"

__all__ = []
try:
    import keras_hub  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != "keras_hub":
        raise
else:
    from keras_mlp.detection.backbone import KerasHubBackbone
    from keras_mlp.detection.retinanet import RetinaNet

    __all__ = ["KerasHubBackbone", "RetinaNet"]
