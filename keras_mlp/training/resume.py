"""Resuming a run from the newest training state that reads back whole.

The state after epoch `E` exists twice: `backup/epoch_E.weights.h5` and
`checkpoints/epoch_E.keras` (both hold the optimizer). Every file is written
atomically, but a disk can still fail, or a file be copied half; so each
candidate is checked by loading it, newest first, and a file that does not
load is moved to `corrupt/` with a message that names it.
"""

import numpy as np

from keras_mlp.weights.checkpoint_io import CheckpointError, check_keras_archive


def restore(model, run, read_only=False):
    """Loads the newest readable state of `run` into the compiled `model`.

    Args:
        model: the compiled model of the run, its optimizer built.
        run: its `keras_mlp.training.run_dir.RunDirectory`.
        read_only: change nothing in `run` (a process that is not the
            run's writer): unreadable files are skipped, not moved aside.

    Returns:
        `(epochs_completed, path)`: where training continues and the file
        it continues from; `(0, None)` when there is nothing to resume.
    """
    if not read_only:
        _clean(run)
    candidates = sorted(
        run.epoch_files(run.backup) + run.epoch_files(run.checkpoints),
        key=lambda item: (item[0], item[1].endswith(".weights.h5")),
        reverse=True,
    )
    if not candidates:
        return 0, None
    variables = list(model.weights) + list(model.optimizer.variables if model.optimizer else [])
    snapshot = [np.array(v.numpy()) for v in variables]
    for epoch, path in candidates:
        try:
            model.load_weights(path)
        except Exception as e:  # h5py, zipfile and Keras each raise their own
            # A failed load may have assigned some variables already.
            for variable, value in zip(variables, snapshot):
                variable.assign(value)
            if not read_only:
                run.move_aside(path, f"{type(e).__name__}: {e}")
            continue
        return epoch, path
    return 0, None


def _clean(run):
    removed = run.remove_partial_files()
    if removed:
        print(f"Removed {removed} partial file(s) of writes interrupted in {run.path}.")
    # Checkpoints that are not even whole archives are moved aside now, so a
    # finished run never keeps a torn one, whichever state it resumes from.
    for _, path in run.epoch_files(run.checkpoints):
        try:
            check_keras_archive(path)
        except CheckpointError as e:
            run.move_aside(path, e)
