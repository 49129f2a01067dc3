"""The runtimes' own logs in the example scripts: quiet unless --verbose.

Every script in examples/ imports this module first, before anything loads
TensorFlow. A script then prints what it was asked for (results, Keras
progress bars, summaries, errors) without the notices of the libraries it
runs: TensorFlow's and XLA's C++ logs (oneDNN, CPU features, the SavedModel
loader, the TFLite converter's MLIR passes, absl's "All log messages before
absl::InitializeLog()"), the INFO lines TensorFlow's and tf2onnx's Python
loggers send through absl, and TFLite's "INFO: Created TensorFlow Lite XNNPACK
delegate". Their errors still print, and so do keras_mlp's own one-line
errors (keras_mlp.cli.run).

`--verbose` leaves every runtime as it is. A `TF_CPP_MIN_LOG_LEVEL` the
user set is kept: it decides TensorFlow's C++ logs (0 shows all, 3 hides even
errors), and TFLite's lines follow it, since TFLite has no switch of its own.

This is not part of `keras_mlp`: importing the library changes no logging.
"""

import atexit
import logging
import os
import subprocess
import sys
import warnings

from absl import app, flags
from absl import logging as absl_logging

flags.DEFINE_bool(
    "verbose", False,
    "Show the runtimes' own logs (TensorFlow, XLA, absl, TFLite, tf2onnx), hidden by default.",
)

# TF_CPP_MIN_LOG_LEVEL: 1 hides INFO, 2 also WARNING; ERROR and FATAL still print.
_QUIET_CPP_LEVEL = "2"
# The runtimes' Python loggers, quiet below ERROR as their C++ logs are.
_PYTHON_LOGGERS = ("tensorflow", "tf2onnx", "jax")
# TFLite's minimal logger writes "<SEVERITY>: <message>" to stderr, with no
# variable to quiet it; the lines it hides at each TF_CPP_MIN_LOG_LEVEL.
_TFLITE_LINES = {1: (b"VERBOSE: ", b"INFO: "), 2: (b"VERBOSE: ", b"INFO: ", b"WARNING: ")}
_LINE_ENDS = (b"\n", b"\r")
_FILTER_DRAIN_SECONDS = 5


def verbose_requested(argv):
    """Whether the command line `argv` turns `--verbose` on.

    Read before absl parses the flags (the logs must be set before TensorFlow
    loads), with absl's spellings of a boolean flag; the last one counts.

    Example:

    ```python
    verbose_requested(["export.py", "--verbose", "--noverbose"])  # False
    ```
    """
    verbose = False
    for arg in argv[1:]:
        if arg == "--":
            break
        if not arg.startswith("-"):
            continue
        name, has_value, value = arg.lstrip("-").partition("=")
        if name == "verbose":
            verbose = not has_value or value.lower() not in ("false", "0")
        elif name == "noverbose":
            verbose = False
    return verbose


def hidden_tflite_lines(cpp_level):
    """The prefixes of TFLite's log lines that `TF_CPP_MIN_LOG_LEVEL=cpp_level` hides."""
    return _TFLITE_LINES.get(min(int(cpp_level), 2), ()) if cpp_level.isdigit() else ()


def quiet():
    """Quiets the runtimes for the rest of this process and its children."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _QUIET_CPP_LEVEL)
    app.call_after_init(_quiet_python_loggers)
    # Keras' tf2onnx shim asks numpy for `np.object`, which numpy 2 answers
    # with a FutureWarning on every ONNX export.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"keras\.src\.export\.tf2onnx_lib")
    hidden = hidden_tflite_lines(os.environ["TF_CPP_MIN_LOG_LEVEL"])
    if hidden:
        _filter_stderr(hidden)


def _quiet_python_loggers():
    """Runs after app.run has parsed the flags and set up absl's logging.

    absl then turns its verbosity from WARNING to INFO when --verbosity is
    not given, which lets TensorFlow's SavedModel writer (logging through
    absl) print INFO lines: the WARNING default is put back. What the command
    line sets (--verbosity, --logger_levels) is left as it is.
    """
    if not flags.FLAGS["verbosity"].present:
        absl_logging.set_verbosity(absl_logging.WARNING)
    if not flags.FLAGS["logger_levels"].present:
        for name in _PYTHON_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)


def _filter_stderr(prefixes):
    """Sends this process's stderr (file descriptor 2, which C++ writes to)
    through a child process that drops the lines starting with `prefixes`.

    A child, not a thread: what a crash writes last (a C++ check failure, a
    segmentation fault's traceback) still reaches the terminal after this
    process is gone.
    """
    stderr = os.dup(2)
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), *(p.decode() for p in prefixes)],
        stdin=subprocess.PIPE, stdout=stderr, start_new_session=True,
    )
    os.dup2(child.stdin.fileno(), 2)
    child.stdin.close()
    atexit.register(_end_filter, child, stderr)


def _end_filter(child, stderr):
    """At exit: gives stderr back and lets the filter pass on the last lines
    (an error message) before the shell prints its prompt."""
    sys.stderr.flush()
    os.dup2(stderr, 2)
    try:
        child.wait(timeout=_FILTER_DRAIN_SECONDS)
    except subprocess.TimeoutExpired:
        pass  # a process this one started still holds the pipe; the filter ends with it


def forward(source, target, prefixes):
    """Copies file descriptor `source` to `target` until end of file, without
    the lines that start with one of `prefixes` (a tuple of bytes).

    A line is passed on as soon as its start shows it is not one of them: a
    progress bar redraws its line without ending it, and a carriage return
    starts a line as a newline does.
    """
    held = b""  # the start of a line too short yet to tell
    keep = None  # whether the current line is passed on, once its start has told
    while chunk := os.read(source, 1 << 16):
        output = []
        for piece in chunk.splitlines(keepends=True):
            if keep is None:
                held += piece
                if held.startswith(prefixes):
                    keep = False
                elif piece.endswith(_LINE_ENDS) or not any(p.startswith(held) for p in prefixes):
                    keep = True
                    output.append(held)
            elif keep:
                output.append(piece)
            if piece.endswith(_LINE_ENDS):
                held, keep = b"", None
        _write(target, b"".join(output))
    if keep is None:
        _write(target, held)  # the end came before it could tell


def _write(target, data):
    while data:
        data = data[os.write(target, data):]


if __name__ == "__main__":
    forward(0, 1, tuple(p.encode() for p in sys.argv[1:]))
elif not verbose_requested(sys.argv):
    quiet()
