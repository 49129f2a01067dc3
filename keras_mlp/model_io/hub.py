"""Whole models on the Hugging Face Hub, or in a folder laid out like a Hub repository.

`load_metadata` and `from_pretrained` read what a repository's `config.json`
says (timm's or keras_mlp's) and build the model; `save_pretrained` writes a
folder that loads back the same way. The files themselves come through
`keras_mlp.weights.hub_files`.
"""

import os
import shutil
import tempfile

import keras
import numpy as np

from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.model_io.resolver import hub_metadata, resolve_weights
from keras_mlp.weights.hub_files import CONFIG_FILE, KERAS_WEIGHTS_FILE, read_config


def load_metadata(reference):
    """The `ModelMetadata` of a Hub repository or model folder.

    It tells what the weights are (registered model, constructor arguments),
    the input pipeline they expect and their class names. For a timm
    repository these come from timm's `config.json`: its architecture mapped
    to the keras_mlp model (`keras_mlp.model_io.timm_config`), `num_classes`,
    `label_names` (or the ImageNet label set of that many classes) and
    `pretrained_cfg` (mean, std, crop, interpolation, input size).

    Example:

    ```python
    meta = keras_mlp.load_metadata("hf://timm/mixer_b16_224.goog_in21k_ft_in1k")
    x = meta.preprocessing.normalize(images)       # uint8 images, resized and cropped
    ```
    """
    return hub_metadata(reference)


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
    # What a folder without config.json lacks is said by reading it.
    read_config(reference)
    return resolve_weights(reference).build(**overrides)


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
        metadata: a `keras_mlp.model_io.metadata.ModelMetadata`.

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
            "`metadata` must be a keras_mlp.model_io.metadata.ModelMetadata (registered model, "
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
                "`metadata.arguments`: pass every constructor argument that "
                "built `model` (a training run's own metadata records them)."
            )
