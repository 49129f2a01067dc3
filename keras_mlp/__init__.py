"""keras_mlp: all-MLP vision models for Keras 3.

MLP-Mixer, the feed-forward-only ViT, RepMLP, ResMLP, gMLP, CycleMLP and Wave-MLP as
Keras layers and `keras.applications`-style constructors, with pretrained-checkpoint
loading.
"""

from keras_mlp import classification, export, layers, training
# KerasHubBackbone and RetinaNet where keras-hub is installed (the `detection` extra).
from keras_mlp.detection import *  # noqa: F403
from keras_mlp.face import FaceEmbedder, compare_faces, embed_files
from keras_mlp.model_io.hub import from_pretrained, load_metadata, save_pretrained
# Every model constructor and model tool, as `keras_mlp.models` lists them.
from keras_mlp.models import *  # noqa: F403
from keras_mlp.segmentation import PSPNet, SemanticFPN, UPerNet
from keras_mlp.validation import InputSizeError
from keras_mlp.version import __version__
from keras_mlp.weights import (
    CheckpointError,
    PretrainedWeights,
    decode_predictions,
    list_pretrained,
    preprocess_input,
)
