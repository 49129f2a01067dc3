"""Top-k labels for image files, with the weights' own preprocessing.

A model saved by a training run (`final.keras`, or its run directory)
or published on the Hub (`hf://org/name`, a timm repository or one written
by `keras_mlp.save_pretrained`) carries its class names and input pipeline
(`keras_mlp.model_io.metadata`) and needs nothing else; a pretrained tag brings its
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
from keras_mlp.model_io.metadata import load_model
from keras_mlp.model_io.resolver import resolve_weights
from keras_mlp.models.inference import inference_function
from keras_mlp.weights.checkpoint_io import HeadNotLoadedWarning
from keras_mlp.weights.labels import described, head_names
from keras_mlp.weights.registry import get_pretrained


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


def prediction_weights(weights, model=None, labels=None, preprocessing=None, input_size=None):
    """The `ResolvedWeights` that say how to build, feed and decode `weights`.

    Args:
        weights: anything `keras_mlp.model_io.resolver.resolve_weights`
            takes: a pretrained tag, a checkpoint path, a `.keras` file or
            run directory, a Hub reference or folder.
        model: registered model name; needed for a tag or checkpoint.
        labels: label set (`keras_mlp.weights.labels.LABEL_SETS`) or a text
            file with one class name per line; it replaces the class names
            the weights carry (the same number of them), and is required
            for a checkpoint file unless `preprocessing` names a record.
        preprocessing: for a checkpoint file only: `"model.tag"` whose
            input pipeline (and label set) it was trained with; default:
            ImageNet mean/std, crop 0.875, bicubic.
        input_size: input side; default: the weights'.

    Example:

    >>> prediction_weights("run.weights.h5", "mixer_s32", labels="imagenet1k").classes
    1000
    """
    resolved = resolve_weights(weights, model)
    if resolved.preprocessing is not None:
        if preprocessing is not None:
            raise ValueError(
                f"--preprocessing is for checkpoint files; {weights!r} has its own "
                "input pipeline."
            )
    elif preprocessing is not None:
        record = get_pretrained(preprocessing)
        resolved = dataclasses.replace(
            resolved, preprocessing=record.preprocessing, class_names=head_names(record.labels)
        )
    else:
        resolved = dataclasses.replace(resolved, preprocessing=IMAGENET)
    if labels is not None:
        names = head_names(labels)
        if resolved.classes not in (None, len(names)):
            raise ValueError(
                f"--labels {labels!r} names {len(names)} classes, but the head of "
                f"{weights!r} has {resolved.classes} (its own class names come with "
                "it; --labels is not needed)."
            )
        resolved = dataclasses.replace(resolved, class_names=names)
    if resolved.class_names is None:
        raise ValueError(
            f"`labels` is needed to name the classes of the checkpoint "
            f"{weights!r}: a label set (imagenet1k, ...), a text file with "
            "one class name per line, or `preprocessing` naming a "
            "pretrained record (model.tag) whose labels apply."
        )
    if input_size not in (None, resolved.preprocessing.input_size):
        resolved = resolved.resized(input_size)
    return resolved


def load_classifier(resolved):
    """The model of a `ResolvedWeights` with its weights and a softmax head.

    A saved `.keras` model is loaded exactly as trained (rebuilt only at
    another input size); anything else is built by its constructor.
    """
    if resolved.is_saved_model:
        size = resolved.preprocessing.input_size
        saved, _ = load_model(resolved.weights, input_size=size)
        if resolved.arguments.get("classifier_activation", "softmax") is None:
            softmax = keras.layers.Softmax(dtype="float32")
            saved = keras.Model(saved.inputs, softmax(saved.outputs[0]))
        return saved
    return build_classifier(resolved)


def build_classifier(resolved, classes=None, classifier_activation="softmax"):
    """`resolved.build` with a head of `classes` (default: the weights'),
    which the weights must fill.

    For inference a head that the checkpoint cannot fill is an error: the
    fresh one it would keep (as fine-tuning wants) scores every class alike.
    """
    classes = classes or resolved.classes
    with warnings.catch_warnings():
        warnings.simplefilter("error", HeadNotLoadedWarning)
        try:
            return resolved.build(classes=classes, classifier_activation=classifier_activation)
        except HeadNotLoadedWarning as e:
            raise ValueError(
                f"The checkpoint {resolved.weights!r} has no classifier head of "
                f"{classes} classes ({e}). Name as many classes as the "
                "checkpoint has (predict.py --labels; evaluate.py: a dataset with "
                "that many classes), or fine-tune it on your classes first."
            ) from e


def predict_files(model, resolved, paths, top=5, batch_size=32, dtype=None):
    """`Prediction`s for image files; unreadable files do not stop the rest.

    Args:
        model: a classifier whose outputs follow `resolved.class_names`.
        resolved: the `ResolvedWeights` of `prediction_weights`: the
            preprocessing and class names.
        paths: image file paths (see `image_paths`).
        top: classes per image.
        batch_size: images per forward pass.
        dtype: `None`, or `"bfloat16"`: the forward pass in bfloat16
            (`keras_mlp.inference_function`'s `dtype`).

    Returns:
        One `Prediction` per path, in order.

    Example:

    ```python
    resolved = prediction_weights("goog_in21k_ft_in1k", "mixer_b16")
    model = load_classifier(resolved)
    for p in predict_files(model, resolved, image_paths(["photos/"])):
        print(p.path, p.error or p.top[0])
    ```
    """
    prep = resolved.preprocessing
    names = described(resolved.class_names)
    if model.output_shape[-1] != len(names):
        raise ValueError(
            f"The model has {model.output_shape[-1]} outputs but {len(names)} class names."
        )
    forward = inference_function(model, dtype=dtype)
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
