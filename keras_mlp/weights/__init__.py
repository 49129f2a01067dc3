"""Pretrained weights: registry, checkpoint readers and converters."""

from keras_mlp.weights.checkpoint_io import CheckpointError, HeadNotLoadedWarning
from keras_mlp.weights.preprocessing import decode_predictions, preprocess_input
from keras_mlp.weights.records import PretrainedWeights
from keras_mlp.weights.registry import get_pretrained, list_pretrained
