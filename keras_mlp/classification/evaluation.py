"""Top-1 / top-5 accuracy on a dataset split, with the evaluation pipeline.

Tied scores count against the model (`keras_mlp.classification.metrics`); with 5
classes or fewer there is no top-5 (it would be 1.0 whatever the model).

One function computes the numbers that a training run reports at its end
and that `examples/evaluate.py` reports for its saved model, so the two
cannot drift apart.
"""

import keras

from keras_mlp.classification.metrics import TopKAccuracy
from keras_mlp.data import pipeline, sources
from keras_mlp.training import multi_process


def evaluate(model, dataset, split, preprocessing, batch_size=256, data_dir=None,
             class_names=None, holdout_fraction=None, seed=0):
    """Loads `dataset`/`split` and returns `evaluate_split` of it.

    Args:
        model: a classifier (logits or probabilities).
        dataset, split, data_dir: as for `keras_mlp.data.load_dataset`.
        preprocessing: the `keras_mlp.data.Preprocessing` the model expects.
        batch_size: evaluation batch size.
        class_names: the model's classes in head order (its metadata); the
            split's must be the same.
        holdout_fraction, seed: the held-out images of a folder dataset
            (as the training run chose them).
    """
    data = sources.load_dataset(
        dataset, split, data_dir, holdout_fraction=holdout_fraction, seed=seed
    )
    return evaluate_split(model, data, preprocessing, batch_size, class_names, f"{dataset}/{split}")


def evaluate_split(model, data, preprocessing, batch_size=256, class_names=None, name="the split",
                   logits=False, shard=None):
    """`{"top1": ..., "top5": ...}` of `model` on a loaded `Split`.

    `"top5"` only with more than 5 classes.
    With `logits=True` (a head without softmax, as training builds it) the
    cross-entropy is reported too, as `"loss"`.
    With `shard=(num_processes, process_index)` (every process of a
    multi-process run calls it) each process scores its own shard with a
    copy of the model on its own devices and the counts are summed: every
    example is counted once, whatever the shards' sizes.

    Raises a `ValueError` when the model cannot be scored on the split: a
    head of another size, other class names, another input size.
    """
    check_compatible(model, data.info, preprocessing, class_names, name)
    num_classes = data.info.num_classes
    ds = pipeline.make_dataset(data, False, preprocessing, batch_size, num_classes, shard=shard)
    if shard is None or shard[0] == 1:
        metrics = _update(model, ds, num_classes, logits)
    else:
        # A global model runs only on global batches, which the processes'
        # last, unequal batches cannot form; a local copy runs on any batch.
        weights = model.get_weights()
        with multi_process.undistributed():
            local = keras.models.clone_model(model)
            local.set_weights(weights)
            metrics = _update(local, ds, num_classes, logits)
            for metric in metrics:
                states = multi_process.sum_over_processes([v.numpy() for v in metric.variables])
                for variable, state in zip(metric.variables, states):
                    variable.assign(state)
    return {m.name: float(m.result()) for m in metrics}


def _update(model, ds, num_classes, logits):
    """The metrics of `evaluate_split`, updated over `ds`."""
    metrics = accuracy_metrics(num_classes, top1_name="top1")
    if logits:
        metrics.append(keras.metrics.CategoricalCrossentropy(from_logits=True, name="loss"))
    for x, y in ds:
        outputs = model(x, training=False)
        for metric in metrics:
            metric.update_state(y, outputs)
    return metrics


def accuracy_metrics(num_classes, top1_name):
    """Top-1, and top-5 where it can fail (more than 5 classes)."""
    metrics = [TopKAccuracy(1, name=top1_name)]
    if num_classes > 5:
        metrics.append(TopKAccuracy(5, name="top5"))
    return metrics


def summary(metrics):
    """`"top-1 0.9750, top-5 0.9990"`, without top-5 where there is none."""
    parts = [f"top-1 {metrics['top1']:.4f}"]
    if "top5" in metrics:
        parts.append(f"top-5 {metrics['top5']:.4f}")
    return ", ".join(parts)


def check_compatible(model, info, preprocessing, class_names=None, name="the split"):
    """Raises unless `model`'s head and input fit the split `info` describes."""
    classes = model.output_shape[-1]
    if classes != info.num_classes:
        raise ValueError(
            f"The model's head has {classes} classes and {name} has "
            f"{info.num_classes}: its scores would be meaningless. Evaluate it "
            "on the dataset it was trained for."
        )
    if class_names is not None and list(class_names) != list(info.class_names):
        differ = [
            f"{i}: {a!r} vs {b!r}"
            for i, (a, b) in enumerate(zip(class_names, info.class_names))
            if a != b
        ]
        raise ValueError(
            f"The model's classes differ from those of {name} (label: model vs "
            f"data): {', '.join(differ[:10])}. Labels would be compared to the "
            "wrong classes."
        )
    side = preprocessing.input_size
    if tuple(model.input_shape[1:3]) != (side, side):
        raise ValueError(
            f"The model takes {model.input_shape[1:3]} images, but the "
            f"preprocessing makes {side}x{side}."
        )
