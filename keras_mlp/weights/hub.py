"""Models on the Hugging Face Hub, or in a folder laid out like a Hub repository.

A reference is `"hf://org/name"` (optionally `@revision`) or a local folder.
Either holds a `config.json` and the weights beside it, written by timm
(`save_for_hf`: `model.safetensors`) or by `save_pretrained`
(`model.weights.h5`). Files come through `huggingface_hub.hf_hub_download`,
so the shared cache (`HF_HOME`), revisions, `HF_HUB_OFFLINE=1` and tokens
of private repositories (`HF_TOKEN`, `hf auth login`) work as in every
other Hugging Face library.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile

import huggingface_hub
import keras
import numpy as np
from huggingface_hub import errors as hub_errors

from keras_mlp.metadata import ModelMetadata
from keras_mlp.version import __version__
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.timm_config import is_timm_config, metadata_from_timm

HF_PREFIX = "hf://"
CONFIG_FILE = "config.json"
KERAS_WEIGHTS_FILE = "model.weights.h5"
# What timm publishes, safest first: safetensors needs no torch.
TIMM_WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
# The cache names a Git LFS file's blob after its SHA-256, the digest the Hub
# publishes for it (its LFS object id).
_LFS_BLOB = re.compile(r"[0-9a-f]{64}")


class HubFileNotFound(FileNotFoundError):
    """A file of a Hub repository or model folder is not available."""


def is_reference(weights):
    """Whether a `weights=` string names a Hub repository or a model folder
    (a directory with a `config.json`; any other directory is no checkpoint)."""
    return weights.startswith(HF_PREFIX) or os.path.isfile(os.path.join(weights, CONFIG_FILE))


def download(repo_id, filename, revision=None):
    """`hf_hub_download`, with errors that say what to do; returns the path.

    A file whose cached blob is named by a SHA-256 (every Git LFS file:
    weights) is checked against it.
    """
    try:
        path = huggingface_hub.hf_hub_download(
            repo_id,
            filename,
            revision=revision,
            library_name="keras_mlp",
            library_version=__version__,
        )
    except hub_errors.LocalEntryNotFoundError as e:
        if huggingface_hub.constants.HF_HUB_OFFLINE:
            why, retries = " because HF_HUB_OFFLINE is set", ""
        else:
            # huggingface_hub retries a failed connection for about 25 s before
            # this error, and has no setting that shortens it.
            why, retries = "", " Without network, HF_HUB_OFFLINE=1 skips the Hub's retries."
        command = f"hf download {repo_id}" + (f" --revision {revision}" if revision else "")
        raise HubFileNotFound(
            f"{filename} of {repo_id} is not in the Hugging Face cache "
            f"({huggingface_hub.constants.HF_HUB_CACHE}) and cannot be downloaded{why}. "
            f"Download it once with network access (`{command}`), or point HF_HOME "
            f"at a cache that has it.{retries}"
        ) from e
    except (hub_errors.RepositoryNotFoundError, hub_errors.RevisionNotFoundError) as e:
        raise HubFileNotFound(
            f"{repo_id}{'@' + revision if revision else ''} is not on the Hub, or is "
            "private or gated: check the name, and for a private repository log in "
            f"(`hf auth login`) or set HF_TOKEN. ({type(e).__name__})"
        ) from e
    except hub_errors.EntryNotFoundError as e:
        raise HubFileNotFound(f"{repo_id} has no file {filename}.") from e
    _check_blob(path, repo_id, filename)
    return path


def _check_blob(path, repo_id, filename):
    blob = os.path.realpath(path)
    expected = os.path.basename(blob)
    if not _LFS_BLOB.fullmatch(expected):
        return
    sha = hashlib.sha256()
    with open(blob, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    if sha.hexdigest() != expected:
        raise CheckpointError(
            f"The cached {filename} of {repo_id} ({blob}) is corrupt: its SHA-256 is "
            f"{sha.hexdigest()}, the Hub's is {expected}. Download it again: "
            f"`hf download {repo_id} {filename} --force-download`."
        )


def _parse(reference):
    try:
        uri = huggingface_hub.parse_hf_uri(reference)
    except hub_errors.HfUriError as e:
        raise ValueError(f"{e} Expected hf://org/name or hf://org/name@revision.") from e
    if uri.type != "model" or uri.path_in_repo:
        raise ValueError(
            f"{reference!r} is not a model repository: expected hf://org/name or "
            "hf://org/name@revision."
        )
    return uri


def _file(reference, filename):
    """Local path of `filename` in a `hf://` repository or a model folder."""
    if reference.startswith(HF_PREFIX):
        uri = _parse(reference)
        return download(uri.id, filename, uri.revision)
    path = os.path.join(reference, filename)
    if not os.path.isfile(path):
        raise HubFileNotFound(
            f"{reference!r} has no {filename}: a model folder holds the "
            f"{CONFIG_FILE} and weights that `keras_mlp.save_pretrained` or timm's "
            "`save_for_hf` write."
        )
    return path


def _config(reference):
    path = _file(reference, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise CheckpointError(
            f"{CONFIG_FILE} of {reference} ({path}) is not valid JSON ({e}): it is "
            "corrupt. Download it again (`hf download <repo> config.json "
            "--force-download`) or save the folder again."
        ) from e


def load_metadata(reference):
    """The `ModelMetadata` of a Hub repository or model folder.

    It tells what the weights are (registered model, constructor arguments),
    the input pipeline they expect and their class names. For a timm
    repository these come from timm's `config.json`: its architecture mapped
    to the keras_mlp model (`keras_mlp.weights.timm_config`), `num_classes`,
    `label_names` (or the ImageNet label set of that many classes) and
    `pretrained_cfg` (mean, std, crop, interpolation, input size).

    Example:

    ```python
    meta = keras_mlp.load_metadata("hf://timm/mixer_b16_224.goog_in21k_ft_in1k")
    x = meta.preprocessing.normalize(images)       # uint8 images, resized and cropped
    ```
    """
    reference = os.fspath(reference)
    config = _config(reference)
    if is_timm_config(config):
        return metadata_from_timm(config, source=reference)
    return ModelMetadata.from_dict(config, source=f"{CONFIG_FILE} of {reference}")


def weights_file(reference):
    """Local path of the weights of a Hub repository or model folder."""
    config = _config(reference)
    names = TIMM_WEIGHTS_FILES if is_timm_config(config) else (KERAS_WEIGHTS_FILE,)
    for name in names:
        try:
            return _file(reference, name)
        except HubFileNotFound as e:
            missing = e
    raise HubFileNotFound(f"No weights ({' or '.join(names)}) for {reference}: {missing}")


def from_pretrained(reference, **overrides):
    """Builds the model of a Hub repository or model folder, with its weights.

    Args:
        reference: `"hf://org/name"` (optionally `@revision`), e.g. a timm
            repository such as `"hf://timm/mixer_b16_224.goog_in21k_ft_in1k"`,
            or a local folder written by `save_pretrained` or timm.
        **overrides: constructor arguments that replace the recorded ones,
            e.g. `classifier_activation=None` for logits, or `classes=10`
            for a new head on the pretrained body.

    Returns:
        A `keras.Model`. Its input pipeline and class names are in
        `keras_mlp.load_metadata(reference)`.

    Example:

    ```python
    model = keras_mlp.from_pretrained("hf://timm/mixer_b16_224.goog_in21k_ft_in1k")
    ```
    """
    reference = os.fspath(reference)
    metadata = load_metadata(reference)
    return metadata.build(weights=weights_file(reference), **overrides)


def save_pretrained(model, folder, metadata):
    """Writes `model` as a folder that `from_pretrained` and `weights=` load.

    The folder holds `config.json` (`metadata.to_dict()`: registered model
    name, constructor arguments, preprocessing, class names) and
    `model.weights.h5` (`model.save_weights`). Upload it with
    `huggingface_hub.HfApi().upload_folder(repo_id=..., folder_path=folder)`.

    A Keras model does not record which registered constructor and
    arguments built it, nor the input pipeline it was trained with, so
    `metadata` says it; guessing them would make a folder that loads
    elsewhere as a different model. Before anything is written to `folder`,
    the model is rebuilt from `metadata` and the saved weights and must give
    the same outputs as `model`; otherwise nothing changes and the error
    says what differs.

    Args:
        model: a keras_mlp model (training form for RepMLP models).
        folder: output directory, created if needed; files there with the
            same names are replaced.
        metadata: a `keras_mlp.metadata.ModelMetadata`.

    Returns:
        `folder`.

    Example:

    ```python
    meta = ModelMetadata("mixer_t4", {"input_shape": [32, 32, 3], "classes": 10},
                         Preprocessing(input_size=32), class_names)
    keras_mlp.save_pretrained(model, "digits-mixer", meta)
    ```
    """
    if not isinstance(metadata, ModelMetadata):
        raise TypeError(
            "`metadata` must be a keras_mlp.metadata.ModelMetadata (registered model, "
            f"constructor arguments, preprocessing, class names). Received: {metadata!r}"
        )
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".save_pretrained-", dir=folder)
    try:
        model.save_weights(os.path.join(staging, KERAS_WEIGHTS_FILE))
        metadata.save(os.path.join(staging, CONFIG_FILE))
        _check_rebuilds(model, staging, metadata)
        for name in (KERAS_WEIGHTS_FILE, CONFIG_FILE):
            os.replace(os.path.join(staging, name), os.path.join(folder, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _check_rebuilds(model, folder, metadata):
    arguments = ", ".join(f"{k}={v!r}" for k, v in metadata.arguments.items())
    described = f"{metadata.model}({arguments})"
    try:
        rebuilt = from_pretrained(folder)
    except (ValueError, TypeError) as e:
        raise ValueError(
            f"`metadata` does not describe `model`: {described} cannot load its "
            f"weights ({type(e).__name__}: {e}). Pass the registered name and the "
            "constructor arguments that built `model`."
        ) from e
    x = np.random.RandomState(0).uniform(-1, 1, (1, *model.input_shape[1:])).astype("float32")
    expected = keras.tree.flatten(model(x, training=False))
    actual = keras.tree.flatten(rebuilt(x, training=False))
    for want, got in zip(expected, actual):
        want, got = keras.ops.convert_to_numpy(want), keras.ops.convert_to_numpy(got)
        if want.shape != got.shape:
            raise ValueError(
                f"`metadata` does not describe `model`: {described} has outputs of "
                f"shape {got.shape[1:]}, the model {want.shape[1:]}. Pass the "
                "constructor arguments that built `model`."
            )
        # The same weights through the same layers give the same numbers: a
        # relative gap means another computation (e.g. the other GELU).
        gap = float(np.max(np.abs(want - got)))
        if gap > 1e-6 * float(np.max(np.abs(want))):
            raise ValueError(
                f"`metadata` does not describe `model`: {described} loads its weights "
                f"but computes other outputs (largest difference {gap:.3g}). An "
                "argument that changes the computation is missing from "
                "`metadata.arguments`, e.g. `gelu_approximate=True` for a Mixer "
                "fine-tuned from official Flax weights."
            )
