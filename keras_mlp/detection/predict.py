"""Boxes, classes and scores of image files from a detector of
`train_detection`, at each image's own size, and how to draw them."""

import dataclasses

import numpy as np
import tensorflow as tf
from PIL import Image, ImageDraw

from keras_mlp.detection.data import resize_image, to_image_size

# Outline colours of the drawn boxes, one per class in turn.
_COLOURS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
            "#bcf60c", "#fabebe")


@dataclasses.dataclass
class Detections:
    """One image's detections, best first.

    Attributes:
        boxes: float32 `(n, 4)`, `xyxy` pixels on the image as given, within it.
        classes: int32 `(n,)`.
        scores: float32 `(n,)`, the class probability.
    """

    boxes: np.ndarray
    classes: np.ndarray
    scores: np.ndarray


class Detector:
    """Detects objects in uint8 RGB images of any size with a model of
    `train_detection`: each image is resized to the model's square input
    and normalised as in training, and the boxes are scaled back to it.

    Args:
        model: the `keras_hub.models.RetinaNetObjectDetector`.
        metadata: its `ModelMetadata`, as `train_detection` saves it (the
            normalisation).

    Example:

    ```python
    model, metadata = keras_mlp.model_io.metadata.load_model("runs/<run>/final.keras")
    found = Detector(model, metadata).detect(image)
    found.boxes, found.classes, found.scores
    ```
    """

    def __init__(self, model, metadata):
        self.model = model
        self.side = model.input_shape[1]
        preprocessing = metadata.preprocessing
        self.mean = np.multiply(preprocessing.mean, 255.0).astype("float32")
        self.std = np.multiply(preprocessing.std, 255.0).astype("float32")

    def detect(self, image, min_score=0.0):
        """The `Detections` of `image`, `(height, width, 3)` uint8, scoring
        `min_score` or more (the model keeps those above its own NMS
        threshold, 0.05 by default)."""
        height, width = image.shape[:2]
        x = (resize_image(image, self.side).astype("float32") - self.mean) / self.std
        # A dataset of one batch of known size: KerasHub's NMS needs it (and
        # its decoder takes no `predict_on_batch` tuple).
        output = self.model.predict(tf.data.Dataset.from_tensors(x[None]), verbose=0)
        count = int(output["num_detections"][0])
        scores = np.asarray(output["confidence"][0, :count], "float32")
        keep = scores >= min_score
        return Detections(
            # Decoded deltas may run past the image; COCO's boxes stay on it.
            np.clip(to_image_size(output["boxes"][0, :count], self.side, height, width)[keep], 0,
                    np.array([width, height, width, height], "float32")),
            np.asarray(output["labels"][0, :count], "int32")[keep],
            scores[keep],
        )


def draw(image, detections, class_names):
    """`image` as a PIL image with each detection's box and `name score`."""
    picture = Image.fromarray(image)
    pen = ImageDraw.Draw(picture)
    for box, label, score in zip(detections.boxes, detections.classes, detections.scores):
        colour = _COLOURS[label % len(_COLOURS)]
        pen.rectangle([float(v) for v in box], outline=colour)
        pen.text((float(box[0]), float(box[1])), f"{class_names[label]} {score:.2f}", fill=colour)
    return picture
