"""Runs an exported artifact with its own runtime, to check it against Keras."""

import numpy as np


def run_artifact(path, format, images):
    """Outputs of the artifact at `path` for a float32 `images` batch.

    The artifact runs in the runtime it was made for: the SavedModel's
    `serving_default` signature, LiteRT's interpreter (`ai-edge-litert`;
    TensorFlow's `tf.lite.Interpreter` where LiteRT is not installed),
    onnxruntime.

    Args:
        path: what `export_model(model, path, format)` wrote.
        format: the format it was written in (see `FORMATS`).
        images: `(batch, height, width, 3)` array, preprocessed as the
            model expects.

    Returns:
        numpy array, the model's output for `images`.

    Example:

    ```python
    export_model(model, "mixer.tflite", format="tflite")
    np.testing.assert_allclose(
        run_artifact("mixer.tflite", "tflite", x), model.predict(x), atol=1e-4
    )
    ```
    """
    images = np.asarray(images, "float32")
    if format == "tf_saved_model":
        return _run_saved_model(path, images)
    if format in ("tflite", "tflite_int8"):
        return _run_tflite(path, images)
    if format == "onnx":
        return _run_onnx(path, images)
    raise ValueError(f"Unknown `format`: {format!r}.")


def _run_saved_model(path, images):
    import tensorflow as tf

    signature = tf.saved_model.load(path).signatures["serving_default"]
    (input_name,) = signature.structured_input_signature[1]
    (output,) = signature(**{input_name: tf.constant(images)}).values()
    return output.numpy()


def _run_tflite(path, images):
    interpreter = tflite_interpreter(path)
    (inputs,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(inputs["index"], images.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inputs["index"], images)
    interpreter.invoke()
    (outputs,) = interpreter.get_output_details()
    return interpreter.get_tensor(outputs["index"])


def tflite_interpreter(path, num_threads=None):
    """An interpreter of the `.tflite` file at `path`: LiteRT's.

    TensorFlow 2.20 deprecated `tf.lite.Interpreter` for LiteRT's (the
    `ai-edge-litert` package), which runs the same flatbuffers; TensorFlow's
    is the fallback where LiteRT is not installed. `num_threads`: its
    kernels' threads (`None`: the interpreter's default).

    Example:

    ```python
    interpreter = tflite_interpreter("mixer.tflite")
    interpreter.allocate_tensors()
    ```
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=path, num_threads=num_threads)


def _run_onnx(path, images):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (inputs,) = session.get_inputs()
    return session.run(None, {inputs.name: images})[0]
