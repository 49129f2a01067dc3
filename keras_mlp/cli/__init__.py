"""What the example scripts share: how they run and report errors, the run
flags of the training scripts, and the trained model a prediction script loads."""

from keras_mlp.cli.run_flags import config_from_flags, define_run_flags
from keras_mlp.cli.runner import ERROR_EXIT_CODE, INTERRUPTED_EXIT_CODE, call, run
from keras_mlp.cli.task_model import load_task_model
