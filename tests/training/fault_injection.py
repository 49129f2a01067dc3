r"""Runs a script (examples/train.py) with a fault at a file event: the real
process, killed or paused at a deterministic point of one of its writes.

  python tests/training/fault_injection.py examples/train.py --epochs=3 ...

Environment:
  FAULT_DIR: the sub-folder of the run directory watched: "backup" or
      "checkpoints".
  FAULT_AT: which write into it (1 = the first), default 1.
  FAULT: "kill" (SIGKILL mid-write) or "pause" (create $FAULT_PAUSED, then
      wait until $FAULT_RESUME exists).

The hooks sit below keras_mlp, in h5py and zipfile, so they fire whatever
keras_mlp does around them: a `.weights.h5` file is cut right after h5py
created it, a `.keras` zip right after its config was written, before its
weights. A kill there leaves what a power cut mid-write would.
"""

import os
import runpy
import signal
import sys
import time
import zipfile

import h5py

_writes = 0


def _at_write(path):
    global _writes
    if os.path.basename(os.path.dirname(os.path.abspath(path))) != os.environ["FAULT_DIR"]:
        return
    _writes += 1
    if _writes != int(os.environ.get("FAULT_AT", "1")):
        return
    if os.environ["FAULT"] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    open(os.environ["FAULT_PAUSED"], "w").close()
    while not os.path.exists(os.environ["FAULT_RESUME"]):
        time.sleep(0.05)


_h5_init = h5py.File.__init__
_zip_writestr = zipfile.ZipFile.writestr


def _h5_file(self, name, mode="r", *args, **kwargs):
    _h5_init(self, name, mode, *args, **kwargs)
    if isinstance(name, (str, os.PathLike)) and mode == "w":
        self.flush()
        _at_write(name)


def _zip_entry(self, name, data, *args, **kwargs):
    # Keras writes a .keras file's weights as one entry after its config.
    if name == "model.weights.h5" and isinstance(self.filename, str):
        _at_write(self.filename)
    return _zip_writestr(self, name, data, *args, **kwargs)


if __name__ == "__main__":
    h5py.File.__init__ = _h5_file
    zipfile.ZipFile.writestr = _zip_entry
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
