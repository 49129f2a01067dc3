"""What every task's trainer shares: recipes and their optimizer, schedules,
distribution strategies, run directories, locks, sessions, callbacks.

Each task's trainer lives in its task package (`keras_mlp.classification`,
`keras_mlp.segmentation`, `keras_mlp.face`).
"""

from keras_mlp.training.recipes import RECIPES, Recipe, get_recipe, recipe_optimizer
from keras_mlp.training.schedules import WarmupDecay
from keras_mlp.training.strategy import get_strategy
