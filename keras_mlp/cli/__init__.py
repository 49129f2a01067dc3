"""What the example scripts share: how they run and report errors."""

from keras_mlp.cli.runner import ERROR_EXIT_CODE, INTERRUPTED_EXIT_CODE, call, run
