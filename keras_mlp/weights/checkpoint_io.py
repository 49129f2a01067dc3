"""Reads checkpoint files into flat `{key: numpy array}` dicts.

Formats: NumPy `.npz` (official JAX/Flax releases), PyTorch `.pth/.pt/.bin`
(read with `torch.load(weights_only=True)`, never plain pickle) and
`.safetensors` (no torch needed).
"""

import argparse
import hashlib
import os
import pickle
import zipfile

import numpy as np

TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".tar", ".ckpt")
# Training scripts (DeiT, RepMLP, timm's train.py) wrap the weights. timm's
# `state_dict_ema` is read only where no plain `state_dict` sits beside it,
# as timm's own `load_checkpoint` does by default.
_WRAPPER_KEYS = ("model", "state_dict", "model_state_dict", "module", "state_dict_ema")


class CheckpointError(ValueError):
    """A checkpoint file cannot be read or does not fit the model."""


class HeadNotLoadedWarning(UserWarning):
    """The checkpoint has no classifier head of the model's `classes`: the
    model keeps a fresh head. Right for fine-tuning; for inference, turn it
    into an error with `warnings.simplefilter("error", HeadNotLoadedWarning)`."""


def file_sha256(path):
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def read_state_dict(path, select=None):
    """Returns `{key: np.ndarray}` from a `.npz`, PyTorch or `.safetensors` file.

    With `select` (`fn(key) -> bool`) only the arrays of the selected keys
    are read: the other arrays of the file are never loaded.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Checkpoint not found: {path!r}. Pass an existing file, a "
            "pretrained tag (see keras_mlp.list_pretrained()) or None."
        )
    lower = path.lower()
    if lower.endswith(".npz"):
        reader, kind = _read_npz, "NumPy .npz"
    elif lower.endswith(".safetensors"):
        reader, kind = _read_safetensors, "safetensors"
    elif lower.endswith(TORCH_SUFFIXES):
        reader, kind = _read_torch, "PyTorch"
    else:
        raise CheckpointError(
            f"Unknown checkpoint format for {path!r}. Supported: .npz (official "
            "JAX/Flax), .pth/.pt/.bin (PyTorch), .safetensors, .weights.h5 "
            "(Keras)."
        )
    try:
        state = reader(path, select or _every_key)
    except (ImportError, CheckpointError):
        raise
    except Exception as e:
        raise CheckpointError(
            f"Could not read {path!r} as a {kind} checkpoint "
            f"({type(e).__name__}: {e}). The file is probably truncated or "
            "corrupt: delete it and download it again."
        ) from e
    if not state and select is None:
        raise CheckpointError(f"Checkpoint {path!r} holds no arrays.")
    return state


def _every_key(key):
    return True


def _read_npz(path, select):
    # An `NpzFile` reads an array only when it is indexed.
    with np.load(path, allow_pickle=False) as data:
        return {key: np.asarray(data[key]) for key in data.files if select(key)}


def _read_safetensors(path, select):
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as f:
        return {key: f.get_tensor(key) for key in f.keys() if select(key)}


def _read_torch(path, select):
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"Reading the PyTorch checkpoint {path!r} needs torch: "
            "`pip install keras-mlp[torch]`, or convert it to .safetensors."
        ) from e
    with open(path, "rb") as f:
        head = f.read(2)
    # torch.save writes a zip archive (or, before torch 1.6, a pickle, which
    # starts with the PROTO opcode); anything else is not a checkpoint at all.
    if not zipfile.is_zipfile(path) and head[:1] != pickle.PROTO:
        raise CheckpointError(
            f"{path!r} is not a PyTorch checkpoint (neither the zip archive "
            "nor the pickle that torch.save writes): it is truncated or "
            "corrupt. Delete it and download or copy it again."
        )
    # DeiT-style training checkpoints (DeiT, the feed-forward-only ViT) also
    # pickle the argparse.Namespace of the run; it holds no code.
    # A zip archive maps its tensors in lazily, so a selection reads only
    # its own; the pre-1.6 pickle cannot be mapped and is read whole.
    lazy = select is not _every_key and zipfile.is_zipfile(path)
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=lazy)
    except pickle.UnpicklingError as e:
        # torch's message suggests weights_only=False, which would let the
        # file run arbitrary code; keras_mlp never does that.
        raise CheckpointError(
            f"{path!r} cannot be read as tensors only: it is corrupt, or it "
            "pickles Python objects besides tensors, which keras_mlp refuses "
            "to unpickle because they could run code. Re-save its state_dict "
            "(torch.save(model.state_dict(), path)) or convert it to "
            ".safetensors."
        ) from e
    for key in _WRAPPER_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise ValueError(f"expected a dict of tensors, found {type(state).__name__}")
    arrays = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if isinstance(value, torch.Tensor) and select(key):
            if value.dtype == torch.bfloat16:
                value = value.float()
            # A mapped tensor's array would keep the file mapped.
            arrays[key] = value.numpy().copy() if lazy else value.numpy()
    return arrays


# The weights file inside a `.keras` archive.
KERAS_ARCHIVE_WEIGHTS = "model.weights.h5"


def check_keras_archive(path):
    """Raises `CheckpointError` unless `path` is a readable `.keras` zip archive.

    `keras.saving.load_model` reports a truncated or corrupt `.keras` file as
    "File not found"; this names what is wrong instead.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as e:
        raise CheckpointError(
            f"{path!r} is not a readable .keras file (a zip archive): it is "
            f"truncated or corrupt ({e}). Save, download or copy it again."
        ) from e
    missing = sorted({"config.json", KERAS_ARCHIVE_WEIGHTS} - names)
    if missing:
        raise CheckpointError(
            f"{path!r} is a zip archive but not a .keras model: it lacks {missing}."
        )
