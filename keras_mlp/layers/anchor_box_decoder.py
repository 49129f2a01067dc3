import keras

# The boxes out: corners in pixels of the input, as the detectors' training
# targets and `predict` give them.
BOX_FORMAT = "xyxy"


@keras.saving.register_keras_serializable(package="keras_mlp")
class AnchorBoxDecoder(keras.layers.Layer):
    """Every anchor's box and class probabilities from a RetinaNet's raw heads.

    What KerasHub's `RetinaNetObjectDetector.predict` computes before its
    non-maximum suppression, as one graph a converter can take: the box
    head's `center_xywh` deltas applied to the anchors of the input's size,
    and the sigmoid of the class head's logits. NMS is the serving runtime's
    (ONNX's `NonMaxSuppression`, TFLite's and TensorFlow's
    `non_max_suppression`), whose thresholds the caller then chooses.

    Args:
        anchor_generator: the detector's `keras_hub.layers.AnchorGenerator`
            (boxes in `"xyxy"`, its only format in keras_mlp's detectors).

    Call arguments:
        images: `(batch, height, width, channels)`, for the anchors' sizes.
        box_deltas: `(batch, anchors, 4)`, the `bbox_regression` output.
        class_logits: `(batch, anchors, classes)`, the `cls_logits` output.

    Returns:
        `(batch, anchors, 4 + classes)`: `[x_min, y_min, x_max, y_max]` in
        pixels of `images`, then each class' probability.

    Example:

    >>> raw = detector(images)
    >>> AnchorBoxDecoder(detector.anchor_generator)(images, raw["bbox_regression"], raw["cls_logits"])
    """

    def __init__(self, anchor_generator, **kwargs):
        super().__init__(**kwargs)
        if isinstance(anchor_generator, dict):
            anchor_generator = keras.layers.deserialize(anchor_generator)
        if getattr(anchor_generator, "bounding_box_format", None) != BOX_FORMAT:
            raise ValueError(
                f"`anchor_generator` must make {BOX_FORMAT!r} anchors. Received: anchor_generator "
                f"with bounding_box_format={getattr(anchor_generator, 'bounding_box_format', None)!r}"
            )
        self.anchor_generator = anchor_generator

    def call(self, images, box_deltas, class_logits):
        height, width = keras.ops.shape(images)[1], keras.ops.shape(images)[2]
        anchors = keras.ops.concatenate(list(self.anchor_generator(images).values()), axis=0)
        boxes = keras.utils.bounding_boxes.decode_deltas_to_boxes(
            anchors=anchors, boxes_delta=box_deltas, encoded_format="center_xywh",
            anchor_format=BOX_FORMAT, box_format=BOX_FORMAT, image_shape=(height, width, 3),
        )
        return keras.ops.concatenate([boxes, keras.ops.sigmoid(class_logits)], axis=-1)

    def compute_output_shape(self, images_shape, box_deltas_shape, class_logits_shape):
        return (*box_deltas_shape[:2], 4 + class_logits_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(anchor_generator=keras.layers.serialize(self.anchor_generator))
        return config
