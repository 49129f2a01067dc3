"""The training and held-out splits of a task that trains on labelled images
(segmentation, detection), loaded and checked alike."""

from typing import NamedTuple


class TaskSplits(NamedTuple):
    """What `load_task_splits` returns.

    Attributes:
        train, held_out: the splits, as the task's `data.load_split` returns them.
        held_out_name: the held-out split's name (`"validation"`, `"test"`, ...).
        classes: the run's class count, `--classes` or the training split's.
    """

    train: object
    held_out: object
    held_out_name: str
    classes: int


def load_task_splits(data, config, **loading):
    """Loads `config.dataset`'s splits through a task's `data` module.

    Args:
        data: the task's data module, with `load_split(dataset, split,
            classes=..., data_dir=..., download=..., seed=..., **loading)`
            and `eval_split_name(dataset)`.
        config: the run's config, with `dataset`, `classes`, `batch_size`,
            `data_dir`, `download` and `seed`.
        **loading: the task's own `load_split` arguments (the image size).

    Raises:
        ValueError: `config.batch_size` is larger than the training split,
            which then has no full batch to train on.
    """
    loading.update(data_dir=config.data_dir, download=config.download, seed=config.seed)
    train = data.load_split(config.dataset, "train", classes=config.classes, **loading)
    classes = config.classes or len(train.class_names)
    held_out_name = data.eval_split_name(config.dataset)
    held_out = data.load_split(config.dataset, held_out_name, classes=classes, **loading)
    if config.batch_size > train.num_examples:
        raise ValueError(
            f"--batch_size={config.batch_size} exceeds the {train.num_examples} training images "
            f"of {config.dataset}. Pass --batch_size={train.num_examples} or less."
        )
    return TaskSplits(train, held_out, held_out_name, classes)
