"""Top-k labels for image files, with the weights' own preprocessing."""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from keras_mlp.data.folder import IMAGE_EXTENSIONS
from keras_mlp.data.pipeline import eval_crop
from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.models.registry import create_model
from keras_mlp.weights.labels import class_names
from keras_mlp.weights.loading import WeightsSource
from keras_mlp.weights.preprocessing import decode_predictions, preprocess_input
from keras_mlp.weights.registry import PretrainedWeights, get_pretrained



@dataclasses.dataclass(frozen=True)
class Prediction:
    """What `predict_files` found for one file.

    Attributes:
        path: the image file.
        top: `[(class_id, class_name, probability), ...]`, best first;
            empty when the file could not be read.
        error: why the file could not be read, else `None`.
    """

    path: str
    top: list
    error: str | None = None


def image_paths(inputs):
    """Files as given; folders walked (sorted) for image file extensions.

    Example:

    >>> image_paths(["cat.jpg", "holiday/"])
    ['cat.jpg', 'holiday/beach.png', 'holiday/day2/hotel.jpg']
    """
    paths = []
    for item in inputs:
        if os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs.sort()
                paths.extend(
                    os.path.join(root, f)
                    for f in sorted(files)
                    if f.lower().endswith(IMAGE_EXTENSIONS)
                )
        else:
            paths.append(item)
    return paths


def weights_record(model, weights, labels=None, preprocessing=None, input_size=None):
    """The `PretrainedWeights` that describes how to feed and decode `weights`.

    Args:
        model: registered model name.
        weights: a pretrained tag of `model`, or a checkpoint path.
        labels: label set (`keras_mlp.weights.labels.LABEL_SETS`) or a text
            file with one class name per line; default: the tag's (or the
            `preprocessing` record's) label set. Required for a checkpoint
            path otherwise.
        preprocessing: `"model.tag"` whose input pipeline (mean, std,
            resolution, crop, interpolation) a checkpoint path was trained
            with; default: ImageNet mean/std, crop 0.875, bicubic.
        input_size: input side; default: the record's.

    Example:

    >>> weights_record("mixer_s32", "run.weights.h5", labels="imagenet1k", input_size=64)
    PretrainedWeights(model='mixer_s32', tag='run.weights.h5', ..., input_size=64, ...)
    """
    source = WeightsSource(weights, model)
    local = dict(model=model, tag=os.path.basename(source.path or ""), url=source.path, sha256=None)
    if source.record is not None:
        record = source.record
    elif preprocessing is not None:
        record = dataclasses.replace(get_pretrained(preprocessing), **local)
    elif labels is not None:
        record = PretrainedWeights(
            **local, classes=0, labels=labels, preprocessing=IMAGENET
        )
    else:
        raise ValueError(
            f"`labels` is needed to name the classes of the checkpoint "
            f"{weights!r}: a label set (imagenet1k, ...), a text file with "
            "one class name per line, or `preprocessing` naming a "
            "pretrained record (model.tag) whose labels apply."
        )
    if labels is not None:
        record = dataclasses.replace(record, labels=labels, classes=len(class_names(labels)))
    if input_size is not None:
        record = dataclasses.replace(
            record, preprocessing=record.preprocessing.replace(input_size=input_size)
        )
    return record


def load_classifier(record):
    """The model of `record` with its weights and a softmax head."""
    weights = record.url if os.path.isfile(record.url) else record.tag
    return create_model(
        record.model,
        weights=weights,
        input_shape=(record.preprocessing.input_size, record.preprocessing.input_size, 3),
        classes=record.classes,
    )


def predict_files(model, record, paths, top=5, batch_size=32):
    """`Prediction`s for image files; unreadable files do not stop the rest.

    Args:
        model: a classifier whose outputs follow `record` (its classes).
        record: `PretrainedWeights` giving preprocessing and labels, e.g.
            from `weights_record`.
        paths: image file paths (see `image_paths`).
        top: classes per image.
        batch_size: images per forward pass.

    Returns:
        One `Prediction` per path, in order.

    Example:

    ```python
    record = weights_record("mixer_b16", "goog_in21k_ft_in1k")
    model = load_classifier(record)
    for p in predict_files(model, record, image_paths(["photos/"])):
        print(p.path, p.error or p.top[0])
    ```
    """
    results = {}
    batch, batch_paths = [], []

    def flush():
        if not batch:
            return
        x = preprocess_input(np.stack(batch), record)
        probabilities = model.predict(x, verbose=0)
        for path, row in zip(batch_paths, decode_predictions(probabilities, record, top=top)):
            results[path] = Prediction(path, row)
        batch.clear()
        batch_paths.clear()

    for path in paths:
        try:
            image = _read_image(path)
        except (OSError, tf.errors.OpError) as e:
            results[path] = Prediction(path, [], _reason(e))
            continue
        prep = record.preprocessing
        batch.append(eval_crop(image, prep.input_size, prep.crop_pct, prep.interpolation).numpy())
        batch_paths.append(path)
        if len(batch) == batch_size:
            flush()
    flush()
    return [results[path] for path in paths]


def _read_image(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    data = tf.io.read_file(path)
    return tf.cast(tf.io.decode_image(data, channels=3, expand_animations=False), "float32")


def _reason(error):
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, tf.errors.InvalidArgumentError):
        return "not a readable image (JPEG, PNG, BMP or GIF), or corrupt"
    return f"cannot be read ({type(error).__name__}: {error})"
