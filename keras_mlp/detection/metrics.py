"""COCO's box AP of a detector on a `DetectionSplit`, by pycocotools."""

import contextlib
import io

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from keras_mlp.detection.data import to_image_size

# `COCOeval.stats` in order: what each number is.
METRICS = ("ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large")


def coco_ground_truth(split):
    """The split's boxes as a pycocotools `COCO` index, at each image's
    original size (COCO's small / medium / large areas are in those pixels)."""
    images, annotations = [], []
    for n, (boxes, labels, (height, width)) in enumerate(zip(split.boxes, split.labels, split.sizes)):
        images.append({"id": n, "height": height, "width": width})
        for box, label in zip(_original(boxes, split, n), labels):
            x0, y0, x1, y1 = (float(v) for v in box)
            annotations.append({
                "id": len(annotations) + 1, "image_id": n, "category_id": int(label),
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0,
            })
    categories = [{"id": n, "name": name} for n, name in enumerate(split.class_names)]
    coco = COCO()
    coco.dataset = {"images": images, "annotations": annotations, "categories": categories}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def coco_detections(predictions, split):
    """`predict` outputs (`boxes` xyxy on the model input, `labels`,
    `confidence`, `num_detections`) as COCO result dicts."""
    results = []
    for n in range(split.num_examples):
        count = int(predictions["num_detections"][n])
        boxes = _original(predictions["boxes"][n, :count], split, n)
        for box, label, score in zip(boxes, predictions["labels"][n, :count], predictions["confidence"][n, :count]):
            x0, y0, x1, y1 = (float(v) for v in box)
            results.append({"image_id": n, "category_id": int(label), "bbox": [x0, y0, x1 - x0, y1 - y0],
                            "score": float(score)})
    return results


def coco_metrics(predictions, split):
    """`{metric: value}` for `METRICS`, COCO's box evaluation of
    `predictions` against `split`'s boxes; -1 where a size has no box."""
    truth = coco_ground_truth(split)
    detections = coco_detections(predictions, split)
    if not detections:
        return dict.fromkeys(METRICS, 0.0)
    # pycocotools prints its progress and tables; the run prints the numbers.
    with contextlib.redirect_stdout(io.StringIO()):
        evaluation = COCOeval(truth, truth.loadRes(detections), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {name: float(value) for name, value in zip(METRICS, evaluation.stats)}


def _original(boxes, split, n):
    """`boxes` on the model input scaled back to image `n`'s own size."""
    return to_image_size(boxes, split.images.shape[1], *split.sizes[n])
