"""Python toolchain for the interpreter on PATH (fully local, nothing downloaded).

The repository rule resolves `python3` from the PATH Bazel was started with
(or $PYTHON_BIN_PATH), asks it for `sys.executable` (so version-manager shims
such as pyenv's resolve to the real binary), and writes a `py_runtime` pinned
to that path. Tests then import numpy, keras, tensorflow, ... from its
site-packages, i.e. from the environment the README sets up. Changing PATH or
PYTHON_BIN_PATH re-runs the rule.
"""

_BUILD = """\
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "py3_runtime",
    interpreter_path = "{interpreter}",
    python_version = "PY3",
    # The launcher stub is itself a Python script; run it with the same interpreter.
    stub_shebang = "#!{interpreter}",
)

py_runtime_pair(
    name = "py_runtime_pair",
    py3_runtime = ":py3_runtime",
)

toolchain(
    name = "py_toolchain",
    toolchain = ":py_runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)
"""

def _local_python_configure_impl(repository_ctx):
    python = repository_ctx.os.environ.get("PYTHON_BIN_PATH") or repository_ctx.which("python3")
    if not python:
        fail("No python3 on PATH; install one or set PYTHON_BIN_PATH.")
    result = repository_ctx.execute([python, "-c", "import sys; print(sys.executable)"])
    if result.return_code != 0:
        fail("Could not run %s: %s" % (python, result.stderr))
    repository_ctx.file("BUILD", _BUILD.format(interpreter = result.stdout.strip()))

local_python_configure = repository_rule(
    implementation = _local_python_configure_impl,
    environ = ["PATH", "PYTHON_BIN_PATH"],
    local = True,
)
