"""Training: recipes, schedules, distribution strategies, callbacks, the loop."""

from keras_mlp.training.evaluation import evaluate
from keras_mlp.training.recipes import RECIPES, Recipe, get_recipe
from keras_mlp.training.schedules import WarmupDecay
from keras_mlp.training.strategy import get_strategy
from keras_mlp.training.trainer import TrainConfig, train
