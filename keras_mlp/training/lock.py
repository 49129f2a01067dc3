"""One training run per directory: an exclusive lock file.

The lock is an `flock` on `<model_dir>/run.lock`, which the kernel releases
when its process dies, however it dies; so a lock left by a killed run is
free for the next one, which says whose it was. The file names its holder
(PID, host, start time) for the error a second run gets. `flock` works on
local file systems and, emulated with POSIX locks, on NFS. (`filelock` would
do the locking, but it truncates the file on open, erasing the holder's
name.)
"""

import datetime
import fcntl
import json
import os
import socket

LOCK_FILE = "run.lock"


class RunLockedError(RuntimeError):
    """Another live process is training in the same run directory."""


class RunLock:
    """An exclusive lock on a run directory, held until `release` or exit.

    Args:
        directory: the run directory (created if missing).

    Example:

    ```python
    with RunLock("runs/mixer_t4") as lock:
        if lock.previous:
            print("took over the lock of a dead run:", lock.previous)
        ...  # train
    ```
    """

    def __init__(self, directory):
        self.directory = directory
        self.path = os.path.join(directory, LOCK_FILE)
        self.previous = None
        self._fd = None

    def acquire(self):
        """Takes the lock, or raises `RunLockedError` naming the holder.

        Sets `previous` to the holder record of a dead process that left
        the file behind (`None` when there was none).
        """
        os.makedirs(self.directory, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise RunLockedError(
                    f"{self.directory} is in use by another run: {_describe(holder)}. "
                    "Two runs in one directory would overwrite each other's "
                    "checkpoints and logs. Wait for it to finish or stop it, "
                    "or choose another --model_dir."
                ) from None
            # A releasing holder may have unlinked the file between our open
            # and flock; the lock must be on the file the path names now.
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self.previous = _read(fd)
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        os.fsync(fd)
        self._fd = fd
        return self

    def moved(self, directory):
        """Follows the locked directory to its new name after a rename."""
        self.directory = directory
        self.path = os.path.join(directory, LOCK_FILE)

    def release(self):
        """Removes the lock file and frees the lock."""
        if self._fd is None:
            return
        os.remove(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()

    def describe_previous(self):
        """One line on the dead run whose lock this one took over."""
        return _describe(self.previous)


def _read(fd):
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"null")
    except ValueError:  # a holder killed while writing its record
        return None


def _describe(holder):
    if not holder:
        return "a process that did not record itself"
    return f"PID {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
