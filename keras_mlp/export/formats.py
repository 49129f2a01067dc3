"""Exports a model to the serving formats: SavedModel, TFLite, ONNX."""

import importlib.util

import keras

from keras_mlp import atomic

FORMATS = ("tf_saved_model", "tflite", "tflite_int8", "onnx")
# The packages each format's converter needs, and those that run the result.
_CONVERTERS = {
    "tf_saved_model": ("tensorflow",),
    "tflite": ("tensorflow",),
    "tflite_int8": ("tensorflow",),
    "onnx": ("tensorflow", "tf2onnx", "onnx"),
}
_RUNTIMES = {"onnx": ("onnxruntime",)}
# The Keras backends each format exports from. LiteRT export is TensorFlow
# (or PyTorch with litert-torch, not installed here); the JAX and torch paths
# of Keras 3.15's ONNX export fail on these models' LayerNormalization.
_BACKENDS = {
    "tf_saved_model": ("tensorflow", "jax"),
    "tflite": ("tensorflow",),
    "tflite_int8": ("tensorflow",),
    "onnx": ("tensorflow",),
}


def missing_packages(format, verify=False):
    """The packages `format` needs (to run the artifact too, with `verify`) that are not installed."""
    needed = _CONVERTERS[format] + (_RUNTIMES.get(format, ()) if verify else ())
    return [name for name in needed if importlib.util.find_spec(name) is None]


def available_formats(verify=False):
    """The formats that this backend exports and whose converters (and, with
    `verify`, runtimes) are installed."""
    backend = keras.backend.backend()
    return tuple(
        f for f in FORMATS if backend in _BACKENDS[f] and not missing_packages(f, verify)
    )


def check_formats(formats, verify=False):
    """Raises, before anything is exported, for a format that cannot be written.

    The error names each format's missing packages and how to install them.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"Unknown formats {unknown}; choose among {FORMATS}.")
    missing = {f: missing_packages(f, verify) for f in formats}
    missing = {f: names for f, names in missing.items() if names}
    if missing:
        details = "; ".join(f"{f} needs {', '.join(names)}" for f, names in missing.items())
        packages = " ".join(sorted({n for names in missing.values() for n in names}))
        raise ValueError(
            f"Cannot export: {details}. Install them (`pip install {packages}`) or "
            f"choose among the installed formats {available_formats(verify)}."
        )
    for format in formats:
        _require_backend(format)


def export_model(model, path, format="tf_saved_model"):
    """Writes an inference artifact of `model` with `model.export`.

    Args:
        model: a keras_mlp (or any single-input) `keras.Model`. Export RepMLP
            models after `keras_mlp.reparameterize(model)`: the deploy form is
            the one worth serving.
        path: a directory for `"tf_saved_model"`, else a file
            (`.tflite`, `.onnx`).
        format: one of
            - `"tf_saved_model"`: TF SavedModel whose `serving_default`
              signature maps the model's input name to its output.
            - `"tflite"`: float32 TFLite (LiteRT) flatbuffer.
            - `"tflite_int8"`: TFLite with dynamic-range quantization: int8
              weights, float activations (`tf.lite.Optimize.DEFAULT`).
            - `"onnx"`: ONNX graph for onnxruntime and other ONNX runtimes.

    Example:

    ```python
    model = keras_mlp.MixerS32(input_shape=(64, 64, 3), classes=10)
    export_model(model, "mixer.onnx", format="onnx")
    ```
    """
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    _require_backend(format)
    # Written under a temporary name and checked first: a converter that
    # fails, or writes a file its format rejects, leaves nothing at `path`.
    with atomic.atomic_path(path) as tmp:
        if format == "tf_saved_model":
            model.export(tmp, format="tf_saved_model", verbose=False)
        elif format in ("tflite", "tflite_int8"):
            import tensorflow as tf

            options = {"optimizations": [tf.lite.Optimize.DEFAULT]} if format == "tflite_int8" else {}
            model.export(tmp, format="litert", verbose=False, **options)
        else:
            from keras_mlp.export import tf2onnx_erfc  # noqa: F401  (registers Erfc)

            # Keras infers the ONNX signature only for models that were called.
            model.export(tmp, format="onnx", verbose=False, input_signature=model.inputs)
            _check_onnx(tmp, model.name)


def _check_onnx(path, name):
    import onnx

    try:
        # The path, not the loaded proto: the checker reads files over 2 GB.
        onnx.checker.check_model(path)
    except onnx.checker.ValidationError as e:
        raise ValueError(
            f"tf2onnx converted {name} to an invalid ONNX graph, which was not "
            f"kept: {str(e).strip().splitlines()[0]}"
        ) from e


def _require_backend(format):
    backend = keras.backend.backend()
    if backend not in _BACKENDS[format]:
        raise ValueError(
            f"`format={format!r}` needs the {' or '.join(_BACKENDS[format])} backend "
            f"(KERAS_BACKEND). Received backend: {backend!r}. Save the weights with "
            "`model.save_weights` and export from a process with that backend."
        )
