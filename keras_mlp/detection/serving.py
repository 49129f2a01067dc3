"""A detector's serving form: what `examples/export.py` writes for a
detection run, in every format."""

import keras

from keras_mlp.layers.anchor_box_decoder import AnchorBoxDecoder


def serving_model(detector):
    """Images to every anchor's box and class probabilities, without NMS.

    KerasHub's NMS runs in `predict`, outside the model's graph, so an
    exported `RetinaNetObjectDetector` would give its raw heads, whose box
    deltas mean nothing without its anchors. This model decodes them in the
    graph (`keras_mlp.layers.AnchorBoxDecoder`): its single output is
    `(batch, anchors, 4 + classes)`, each anchor's `[x_min, y_min, x_max,
    y_max]` in pixels of the input, then each class' probability. Keeping
    every anchor whose best probability passes a threshold and running NMS
    on those gives `detector.predict`'s detections.

    Args:
        detector: a `keras_mlp.RetinaNet` (a KerasHub
            `RetinaNetObjectDetector` with `"xyxy"` boxes) of a fixed input
            size, as `examples/train_detection.py` trains it.

    Example:

    ```python
    detector, _ = keras_mlp.model_io.metadata.load_model("runs/<run>/final.keras")
    keras_mlp.export.export_model(serving_model(detector), "retinanet.onnx", format="onnx")
    ```
    """
    height, width, channels = detector.input_shape[1:]
    if height is None or width is None:
        raise ValueError(
            "A detector is exported at one input size (its anchors are the size's). Received: a detector "
            f"of input shape {detector.input_shape[1:]}: build it with image_shape=(height, width, 3)."
        )
    images = keras.Input((height, width, channels), name="images")
    heads = detector(images)
    detections = AnchorBoxDecoder(detector.anchor_generator, name="detections")(
        images, heads["bbox_regression"], heads["cls_logits"]
    )
    return keras.Model(images, detections, name=f"{detector.name}_serving")
