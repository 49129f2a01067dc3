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
    return artifact_runner(path, format)(images)


def artifact_runner(path, format, num_threads=None):
    """A function of a float32 `images` batch that runs the artifact at `path`.

    The artifact is loaded once and serves every call (`run_artifact` for
    many batches): what a benchmark times is the inference, not the loading.

    Args:
        path, format: as for `run_artifact`.
        num_threads: threads of LiteRT's kernels and of onnxruntime's
            intra-op pool; `None` leaves each runtime's default.

    Example:

    ```python
    run = artifact_runner("mixer.onnx", "onnx", num_threads=2)
    logits = run(x)
    ```
    """
    if format == "tf_saved_model":
        return _saved_model_runner(path)
    if format in ("tflite", "tflite_int8"):
        return _tflite_runner(path, num_threads)
    if format == "onnx":
        return _onnx_runner(path, num_threads)
    raise ValueError(f"Unknown `format`: {format!r}.")


def _saved_model_runner(path):
    import tensorflow as tf

    signature = tf.saved_model.load(path).signatures["serving_default"]
    (input_name,) = signature.structured_input_signature[1]

    def run(images):
        (output,) = signature(**{input_name: tf.constant(np.asarray(images, "float32"))}).values()
        return output.numpy()

    return run


def _tflite_runner(path, num_threads):
    interpreter = tflite_interpreter(path, num_threads=num_threads)
    (inputs,) = interpreter.get_input_details()
    (outputs,) = interpreter.get_output_details()
    allocated_shape = None

    def run(images):
        nonlocal allocated_shape
        images = np.asarray(images, "float32")
        # Tensors are allocated again only when the batch's shape changes.
        if allocated_shape != images.shape:
            interpreter.resize_tensor_input(inputs["index"], images.shape)
            interpreter.allocate_tensors()
            allocated_shape = images.shape
        interpreter.set_tensor(inputs["index"], images)
        interpreter.invoke()
        return interpreter.get_tensor(outputs["index"])

    return run


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


def _onnx_runner(path, num_threads):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = num_threads
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (inputs,) = session.get_inputs()
    return lambda images: session.run(None, {inputs.name: np.asarray(images, "float32")})[0]
