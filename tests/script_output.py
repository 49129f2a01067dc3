"""What a script's output may hold: its own lines, not its runtimes' logs.

examples/runtime_logs.py keeps TensorFlow's, XLA's, absl's, TFLite's and
tf2onnx's logs out of the example scripts' output unless `--verbose`; the
tests that run a script check its stdout and stderr with `runtime_log_lines`,
so a new dependency that brings logs back shows.
"""

import os
import re

RUNTIME_LOG_LINE = re.compile(
    "|".join((
        # absl's log prefix: TensorFlow's and XLA's C++ logs, and Python's
        # loggers through absl's handler ("I1207 02:21:38.203360 1399 file.py:156] ").
        r"[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] ",
        r"WARNING: All log messages before absl::InitializeLog\(\)",
        # The second line of TensorFlow's CPU-feature notice.
        r"To enable the following instructions: ",
        # Python logging's own format, as TensorFlow's handler prints it.
        r"(DEBUG|INFO|WARNING):(tensorflow|absl|tf2onnx|jax)[:.]",
        # TFLite's minimal logger ("INFO: Created TensorFlow Lite XNNPACK delegate").
        r"(VERBOSE|INFO|WARNING): ",
        # Python warnings raised in the runtimes and Keras' converter shims.
        r".*[/\\](tensorflow|tf2onnx|ai_edge_litert|jax|keras[/\\]src[/\\]export)[/\\]\S*:\d+: \w*Warning: ",
    ))
)


def runtime_log_lines(output):
    """The lines of `output` that one of the runtimes' loggers printed."""
    return [line for line in output.splitlines() if RUNTIME_LOG_LINE.match(line)]


def user_environment(**variables):
    """`os.environ` plus `variables`, as a user's shell has it: without the
    TF_CPP_MIN_LOG_LEVEL that tests/conftest.py sets for the test process,
    which a script would take as the user's choice."""
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return dict(environment, **variables)
