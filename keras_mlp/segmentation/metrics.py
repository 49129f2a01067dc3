"""mIoU, per-class IoU and pixel accuracy over pixels not labelled 255."""

import keras
import numpy as np
from keras import ops

from keras_mlp import validation

IGNORE_INDEX = 255


@keras.saving.register_keras_serializable(package="keras_mlp")
class SegmentationMetrics(keras.metrics.Metric):
    """A confusion matrix over labelled pixels; `result()` is the mean IoU.

    Pixels labelled `ignore_index` count nowhere. A class absent from both
    the labels and the predictions has no IoU and is left out of the mean
    (mmsegmentation's `nanmean`). `scores()` gives every number.

    Args:
        num_classes: classes of the logits' last axis.
        ignore_index: the label of pixels to skip.

    Example:

    >>> metric = SegmentationMetrics(3)
    >>> metric.update_state(labels, logits)
    >>> metric.scores()["pixel_accuracy"]
    """

    def __init__(self, num_classes, ignore_index=IGNORE_INDEX, name="mean_iou", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = validation.positive_int("num_classes", num_classes)
        self.ignore_index = ignore_index
        self.confusion = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", dtype="float32", name="confusion"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        predicted = ops.reshape(ops.argmax(y_pred, axis=-1), (-1,))
        valid = ops.cast(ops.logical_and(labels != self.ignore_index, labels < self.num_classes), "float32")
        # Ignored pixels land in cell (0, p) with weight 0.
        index = ops.where(valid > 0, labels, 0) * self.num_classes + ops.cast(predicted, "int32")
        counts = ops.segment_sum(valid, index, num_segments=self.num_classes**2)
        self.confusion.assign_add(ops.reshape(counts, (self.num_classes, self.num_classes)))

    def result(self):
        confusion = self.confusion
        true_positive = ops.diagonal(confusion)
        union = ops.sum(confusion, axis=0) + ops.sum(confusion, axis=1) - true_positive
        present = ops.cast(union > 0, "float32")
        iou = true_positive / ops.maximum(union, 1.0)
        return ops.sum(iou * present) / ops.maximum(ops.sum(present), 1.0)

    def scores(self):
        """`{"mean_iou", "pixel_accuracy", "class_iou"}`; a class without
        pixels in labels or predictions has IoU `None`."""
        confusion = np.asarray(ops.convert_to_numpy(self.confusion), "float64")
        true_positive = np.diag(confusion)
        union = confusion.sum(0) + confusion.sum(1) - true_positive
        iou = [float(t / u) if u else None for t, u in zip(true_positive, union)]
        present = [v for v in iou if v is not None]
        return {
            "mean_iou": float(np.mean(present)) if present else 0.0,
            "pixel_accuracy": float(true_positive.sum() / max(confusion.sum(), 1.0)),
            "class_iou": iou,
        }

    def reset_state(self):
        self.confusion.assign(ops.zeros_like(self.confusion))

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes, "ignore_index": self.ignore_index})
        return config


def evaluate_images(segmenter, dataset, ignore_index=IGNORE_INDEX):
    """`SegmentationMetrics.scores()` of a `keras_mlp.segmentation.predict.Segmenter`
    over `dataset`'s `(uint8 image, label map)` pairs, each scored at its own
    size (the segmenter's `mode` decides how an image of another size than
    the model's input is segmented)."""
    metric = SegmentationMetrics(segmenter.classes, ignore_index=ignore_index)
    for image, labels in dataset:
        metric.update_state(np.asarray(labels), segmenter.logits(np.asarray(image)))
    return metric.scores()
