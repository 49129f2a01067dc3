"""A task's trained model for the scripts that use it (prediction), refused
with one line when a file holds another task's model."""

from absl import app

from keras_mlp.model_io.metadata import load_model


def load_task_model(weights, task, trainer):
    """`(model, metadata)` of the `.keras` file (or run directory) `weights`.

    Args:
        weights: the `--weights` flag's value.
        task: the `TASK` its metadata must name (`extra["task"]`).
        trainer: the script that writes such models, for the error.

    Raises:
        absl.app.UsageError: the file holds no `task` model.
    """
    model, metadata = load_model(weights)
    if metadata is None or metadata.extra.get("task") != task:
        raise app.UsageError(f"--weights={weights} is no {task} model written by {trainer}.")
    return model, metadata
