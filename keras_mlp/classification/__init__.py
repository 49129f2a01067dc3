"""Image classification: the trainer, its evaluation and metrics, prediction on
image files, and the token-mixing plots of a classifier's weights."""

from keras_mlp.classification.evaluation import evaluate
from keras_mlp.classification.trainer import TrainConfig, train
