"""Serving artifacts: export a model and run what was exported."""

from keras_mlp.export.formats import FORMATS, export_model
from keras_mlp.export.runtime import run_artifact
