"""Pretrained weights: one record per `model.tag`, with its preprocessing.

Each family lists its records in its own `*_pretrained.py` module and
declares them in its `Family`; registering a constructor registers its
model's records here. This module only knows how to look them up and fetch
them.
"""

import os
import warnings

import keras

from keras_mlp.weights import hub_files
from keras_mlp.weights.checkpoint_io import file_sha256

# `{"model.tag": record}`, filled as the families register their constructors.
_RECORDS = {}


def register_pretrained(records):
    """Adds `PretrainedWeights` records to the table `weights=` reads."""
    for record in records:
        if record.name in _RECORDS:
            raise ValueError(f"Pretrained weights {record.name!r} listed twice.")
        _RECORDS[record.name] = record


def list_pretrained(model=None):
    """Names (`"model.tag"`) of the pretrained weights, of one model or all."""
    return sorted(
        name for name, record in _RECORDS.items() if model in (None, record.model)
    )


def get_pretrained(model, tag=None):
    """The `PretrainedWeights` for `("mixer_b16", "imagenet1k")` or `"mixer_b16.imagenet1k"`."""
    if tag is None:
        model, _, tag = model.partition(".")
    record = _RECORDS.get(f"{model}.{tag}")
    if record is None:
        available = [name.partition(".")[2] for name in list_pretrained(model)]
        raise ValueError(
            f"No pretrained weights {tag!r} for model {model!r}. "
            f"Available tags: {available or 'none'}. `weights` may also be a "
            "local checkpoint path or None."
        )
    return record


def fetch(record, cache_dir=None):
    """Downloads (or finds in the cache) the file of `record`; returns its path.

    A record with an `hf_hub_id` comes from the Hugging Face Hub (its cache,
    `HF_HOME`, shared with timm); when the Hub cannot deliver it (offline
    and not cached, no network), from `record.url`, with a warning.

    Args:
        record: a `PretrainedWeights`.
        cache_dir: cache root of files from `record.url`; default `~/.keras`
            (or `$KERAS_HOME`). Files go to `<cache_dir>/models/keras_mlp/`.
    """
    if record.hf_hub_id:
        try:
            return hub_files.download(record.hf_hub_id, hub_files.TIMM_WEIGHTS_FILES[0])
        except hub_files.HubFileNotFound as e:
            warnings.warn(f"{record.name}: {e} Trying {record.url} instead.", stacklevel=2)
    if cache_dir is not None:
        # get_file silently falls back to /tmp for a root it cannot write to.
        os.makedirs(cache_dir, exist_ok=True)
    try:
        path = keras.utils.get_file(
            fname=record.file_name,
            origin=record.url,
            cache_dir=cache_dir,
            cache_subdir=os.path.join("models", "keras_mlp"),
        )
    except Exception as e:  # get_file raises a bare Exception for URL errors
        raise OSError(
            f"Could not download the weights {record.name} from {record.url} "
            f"({e}). Without network, download that file elsewhere and place "
            f"it at {_cache_path(record, cache_dir)}, or pass its local path "
            "as `weights` (--weights=/path/to/file)."
        ) from e
    if record.sha256:
        digest = file_sha256(path)
        if not digest.startswith(record.sha256):
            # A bad file left in the cache would fail every later run.
            os.remove(path)
            raise ValueError(
                f"The file downloaded for {record.name} from {record.url} has "
                f"SHA-256 {digest}, expected {record.sha256}: it is corrupt or "
                "was replaced upstream. It has been deleted; retry the download."
            )
    return path


def _cache_path(record, cache_dir):
    # get_file's default root: $KERAS_HOME, else ~/.keras.
    root = cache_dir or os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return os.path.join(root, "models", "keras_mlp", record.file_name)

