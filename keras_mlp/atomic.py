"""Files that a kill at any instant leaves either old and whole or new and whole.

Everything is written to a temporary file beside the target, flushed to disk,
then renamed over the target: on POSIX file systems (and NTFS) the rename is
atomic, so a reader sees the previous version or the new one, never a torn
file. Temporary files carry `TEMP_PREFIX`, so whoever cleans up after a killed
writer can tell them from real files.
"""

import contextlib
import json
import os
import shutil

TEMP_PREFIX = ".partial-"


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path to write (a file or a directory); renames it to `path` on success.

    The temporary name keeps the target's suffix (Keras picks the format of
    `model.save` from it). On an exception the temporary file is removed and
    `path` is untouched.

    Example:

    ```python
    with atomic_path("run/final.keras") as tmp:
        model.save(tmp)
    ```
    """
    path = os.fspath(path)
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f"{TEMP_PREFIX}{os.getpid()}-{name}")
    try:
        yield tmp
        _fsync(tmp)
        if os.path.isdir(tmp) and os.path.isdir(path):
            # A directory cannot be renamed over a non-empty one: the old one
            # goes first, under a temporary name, so a kill leaves one whole.
            old = os.path.join(directory, f"{TEMP_PREFIX}{os.getpid()}-old-{name}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    # The rename itself lives in the directory entry.
    _fsync(directory or ".")


def write_text(path, text):
    """Writes `text` (UTF-8) to `path` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)


def write_json(path, value):
    """Writes `value` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(value, indent=2) + "\n")


def is_temporary(name):
    """Whether a file name is one of `atomic_path`'s temporary files."""
    return os.path.basename(name).startswith(TEMP_PREFIX)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
