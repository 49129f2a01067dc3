"""Top-k labels for image files, with the weights' own preprocessing.

A model saved by a training run (`final.keras`, or its run directory)
or published on the Hub (`hf://org/name`, a timm repository or one written
by `keras_mlp.save_pretrained`) carries its class names and input pipeline
(`keras_mlp.metadata`) and needs nothing else; a pretrained tag brings its
record; any other checkpoint needs its labels (and, unless ImageNet's, its
preprocessing) named.
"""

import dataclasses
import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_mlp.data.folder import IMAGE_EXTENSIONS
from keras_mlp.data.pipeline import eval_crop
from keras_mlp.data.preprocessing import IMAGENET
from keras_mlp.metadata import ModelMetadata, load_model
from keras_mlp.models.inference import inference_function
from keras_mlp.models.registry import create_model
from keras_mlp.weights.hub import from_pretrained, load_metadata
from keras_mlp.weights.labels import class_names
from keras_mlp.weights.loading import WeightsSource
from keras_mlp.weights.records import PretrainedWeights
from keras_mlp.weights.registry import get_pretrained

# What the checkpoint loader warns when it keeps a fresh head because the
# checkpoint's has another size: right for fine-tuning, wrong for inference.
_HEAD_NOT_LOADED = ".*classifier head was not loaded.*"



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
    return build_classifier(record.model, weights, record.preprocessing.input_size, record.classes)


def build_classifier(model, weights, input_size, classes, classifier_activation="softmax"):
    """`create_model` with `weights` whose head must have `classes` outputs.

    `input_size=None` builds the model at its default size.

    For inference a head that the checkpoint cannot fill is an error: the
    fresh one it would keep (as fine-tuning wants) scores every class alike.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=_HEAD_NOT_LOADED)
        try:
            return create_model(
                model, weights=weights,
                input_shape=None if input_size is None else (input_size, input_size, 3),
                classes=classes, classifier_activation=classifier_activation,
            )
        except UserWarning as e:
            raise ValueError(
                f"The checkpoint {weights!r} has no classifier head of {classes} "
                f"classes ({e}). Name as many classes as the checkpoint has "
                "(predict.py --labels; evaluate.py: a dataset with that many "
                "classes), or fine-tune it on your classes first."
            ) from e


def load_saved_classifier(path, labels=None, model=None, input_size=None):
    """`(classifier, metadata)` of a model saved by a training run.

    Args:
        path: a `.keras` file written by `keras_mlp.metadata.save_model`
            (a run's `final.keras` or checkpoint), or a run directory.
        labels, model: optional; when given they must agree with the
            metadata (checked, never silently applied).
        input_size: optional; another size rebuilds the model at it, its
            weights resampled (`keras_mlp.metadata.load_model`).

    Returns:
        The saved model, exactly as trained, with a softmax on its logits;
        its `ModelMetadata`.
    """
    saved, metadata = load_model(path, input_size=input_size)
    if metadata is None:
        raise ValueError(
            f"{path!r} is a .keras file without keras_mlp metadata (class names, "
            "preprocessing). Pass the model (--model), and its --labels, with "
            "weights saved by model.save_weights, or save it with "
            "keras_mlp.metadata.save_model."
        )
    metadata = _agreeing(metadata, path, labels, model)
    if metadata.arguments.get("classifier_activation", "softmax") is None:
        saved = keras.Model(saved.inputs, keras.layers.Softmax(dtype="float32")(saved.outputs[0]))
    return saved, metadata


def load_published_classifier(reference, labels=None, model=None, input_size=None):
    """`(classifier, metadata)` of a Hub repository or model folder.

    Args:
        reference: `"hf://org/name"` (a timm repository, or one written by
            `keras_mlp.save_pretrained`) or such a folder on disk.
        labels, model: optional; when given they must agree with the
            repository's metadata.
        input_size: optional; another size rebuilds the model at it, its
            weights resampled.

    Returns:
        The model with a softmax head and the repository's `ModelMetadata`
        (its class names and input pipeline).
    """
    metadata = _agreeing(load_metadata(reference), reference, labels, model)
    if input_size not in (None, metadata.preprocessing.input_size):
        metadata = metadata.at_input_size(input_size)
    overrides = dict(classifier_activation="softmax", input_shape=metadata.arguments.get("input_shape"))
    return from_pretrained(reference, **overrides), metadata


def _agreeing(metadata, source, labels, model):
    """`metadata`, once the user's `labels` and `model` are checked against
    it (the class names of `labels` replace its own)."""
    if model not in (None, metadata.model):
        raise ValueError(f"{source!r} holds a {metadata.model} model, not {model}.")
    if labels is None:
        return metadata
    names = [name for _, name in class_names(labels)]
    if len(names) != len(metadata.class_names):
        raise ValueError(
            f"--labels {labels!r} names {len(names)} classes, but the head "
            f"of {source!r} has {len(metadata.class_names)} (its own class "
            "names are stored with it; --labels is not needed)."
        )
    return dataclasses.replace(metadata, class_names=tuple(names))


def predict_files(model, record, paths, top=5, batch_size=32):
    """`Prediction`s for image files; unreadable files do not stop the rest.

    Args:
        model: a classifier whose outputs follow `record` (its classes).
        record: `PretrainedWeights` giving preprocessing and labels, e.g.
            from `weights_record`, or the `ModelMetadata` of a saved model
            (`load_saved_classifier`).
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
    prep = record.preprocessing
    names = _class_names(record)
    if model.output_shape[-1] != len(names):
        raise ValueError(
            f"The model has {model.output_shape[-1]} outputs but {len(names)} class names."
        )
    forward = inference_function(model)
    results = {}
    batch, batch_paths = [], []

    def flush():
        if not batch:
            return
        probabilities = keras.ops.convert_to_numpy(forward(prep.normalize(np.stack(batch))))
        for path, row in zip(batch_paths, probabilities):
            best = np.argsort(row)[::-1][:top]
            results[path] = Prediction(path, [(*names[i], float(row[i])) for i in best])
        batch.clear()
        batch_paths.clear()

    for path in paths:
        try:
            image = _read_image(path)
        except (OSError, tf.errors.OpError) as e:
            results[path] = Prediction(path, [], _reason(e))
            continue
        batch.append(eval_crop(image, prep.input_size, prep.crop_pct, prep.interpolation).numpy())
        batch_paths.append(path)
        if len(batch) == batch_size:
            flush()
    flush()
    return [results[path] for path in paths]


def _class_names(record):
    """`[(class_id, name), ...]` in head order."""
    if isinstance(record, ModelMetadata):
        return [(str(i), name) for i, name in enumerate(record.class_names)]
    return class_names(record.labels)


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
