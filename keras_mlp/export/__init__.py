"""Serving artifacts: export a model, run what was exported, check the two agree."""

from keras_mlp.export.formats import FORMATS, available_formats, check_formats, export_model
from keras_mlp.export.runtime import artifact_runner, run_artifact
from keras_mlp.export.verify import Verification, verify_export
