"""Files of a Hugging Face Hub repository, or of a folder laid out like one.

A reference is `"hf://org/name"` (optionally `@revision`) or a local folder.
Either holds a `config.json` and the weights beside it, written by timm
(`save_for_hf`: `model.safetensors`) or by `save_pretrained`
(`model.weights.h5`). Files come through `huggingface_hub.hf_hub_download`,
so the shared cache (`HF_HOME`), revisions, `HF_HUB_OFFLINE=1` and tokens
of private repositories (`HF_TOKEN`, `hf auth login`) work as in every
other Hugging Face library.

This module fetches files only; `keras_mlp.model_io.hub` builds and saves
whole models from them.
"""

import json
import os
import re

import huggingface_hub
from huggingface_hub import errors as hub_errors

from keras_mlp.version import __version__
from keras_mlp.weights.checkpoint_io import CheckpointError, file_sha256

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
    digest = file_sha256(blob)
    if digest != expected:
        raise CheckpointError(
            f"The cached {filename} of {repo_id} ({blob}) is corrupt: its SHA-256 is "
            f"{digest}, the Hub's is {expected}. Download it again: "
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


def repository_file(reference, filename):
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


def read_config(reference):
    """The parsed `config.json` of a Hub repository or model folder."""
    path = repository_file(reference, CONFIG_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise CheckpointError(
            f"{CONFIG_FILE} of {reference} ({path}) is not valid JSON ({e}): it is "
            "corrupt. Download it again (`hf download <repo> config.json "
            "--force-download`) or save the folder again."
        ) from e


def is_timm_config(config):
    """Whether a parsed `config.json` is timm's (`save_for_hf`) rather than keras_mlp's."""
    return "architecture" in config and "pretrained_cfg" in config


def weights_file(reference):
    """Local path of the weights of a Hub repository or model folder."""
    config = read_config(reference)
    names = TIMM_WEIGHTS_FILES if is_timm_config(config) else (KERAS_WEIGHTS_FILE,)
    for name in names:
        try:
            return repository_file(reference, name)
        except HubFileNotFound as e:
            missing = e
    raise HubFileNotFound(f"No weights ({' or '.join(names)}) for {reference}: {missing}")
