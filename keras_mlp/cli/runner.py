"""How the example scripts end: the library's own checks as a message.

keras_mlp reports bad input by raising (a `ValueError` naming the argument,
a `CheckpointError`, a missing file, a run directory another run holds). In
a script that should reach the user the way absl's `app.UsageError` does: the
message alone on stderr and a non-zero exit, not a 30-line traceback ending
in it. Only errors that keras_mlp's own code (or the script) raised are
reported so; anything raised inside TensorFlow, Keras or NumPy is a bug of
ours until shown otherwise, and keeps its traceback.
"""

import functools
import os
import shlex
import sys
import traceback

from absl import app

from keras_mlp.training.lock import RunLockedError

# Ctrl-C, as a shell reports it (128 + SIGINT).
INTERRUPTED_EXIT_CODE = 130
ERROR_EXIT_CODE = 1
_CHECK_TYPES = (ValueError, OSError, ImportError, RunLockedError)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(main, resumable=False):
    """`absl.app.run(main)`, reporting keras_mlp's checks as one line.

    Args:
        main: the script's `main(argv)`.
        resumable: whether rerunning the same command continues the work
            (training): Ctrl-C then says so.
    """
    app.run(functools.partial(call, main, resumable=resumable))


def call(main, argv, resumable=False):
    """Calls `main(argv)`; a keras_mlp check or Ctrl-C exits with a message."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        message = "Interrupted."
        if resumable:
            command = shlex.join(["python", *sys.argv])
            message += f" Rerun the same command to continue from the last completed epoch:\n  {command}"
        print(message, file=sys.stderr)
        sys.exit(INTERRUPTED_EXIT_CODE)
    except _CHECK_TYPES as e:
        if not _raised_by(e, _trusted_dirs(main)):
            raise
        print(f"Error: {e}", file=sys.stderr)
        sys.exit(ERROR_EXIT_CODE)


def _trusted_dirs(main):
    script = getattr(main, "__code__", None)
    dirs = [_PACKAGE_DIR]
    if script is not None:
        dirs.append(os.path.dirname(os.path.abspath(script.co_filename)))
    return dirs


def _raised_by(error, dirs):
    """Whether the innermost frame of `error`'s traceback is in `dirs`."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return False
    path = os.path.abspath(frames[-1].filename)
    return any(os.path.commonpath([path, d]) == d for d in dirs)
