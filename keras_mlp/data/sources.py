"""Named datasets: the embedded digits, an image folder, or any tfds name."""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from keras_mlp.data import embedded, folder

# What `resolve` finds a dataset argument to be.
DIGITS, FOLDER, TFDS = "digits", "folder", "tfds"


@dataclasses.dataclass
class DatasetInfo:
    """What the training loop needs to know about a split."""

    num_classes: int
    num_examples: int
    class_names: list


@dataclasses.dataclass
class Split:
    """A streamed `dataset` of `(image, label)`, or a random-access
    `load_fn(index) -> (image, label)` over `info.num_examples` indices.

    Random access (arrays, file lists) lets the pipeline re-shuffle each
    epoch as a function of `(seed, epoch)`, which makes resumed runs exact.
    """

    info: DatasetInfo
    dataset: tf.data.Dataset = None
    load_fn: object = None


def load_dataset(
    name, split, data_dir=None, skip_corrupt=False, shuffle_files=False, download=False,
    holdout_fraction=None, seed=0,
):
    """Returns a `Split` of uint8 RGB images and int labels.

    Args:
        name: `"digits"` (embedded, offline), a folder of images, or a
            tensorflow-datasets name such as `"imagenet2012"` or `"cifar10"`,
            read by `resolve`.
            A folder holds `train/<class>/...` and one folder per evaluation
            split (`test/<class>/...`, `validation/<class>/...`) with the
            same class folders; or, with `holdout_fraction`, just
            `<class>/...`.
        split: split name (`"train"`, `"test"`, `"validation"`, ...).
        data_dir: tfds data directory with prepared data.
        skip_corrupt: for folders, skip unreadable images (counted) instead
            of raising an error that names the file.
        shuffle_files: for tfds, shuffle the order of the record files.
        download: for tfds, download and prepare a dataset that is not
            prepared yet (needs network); otherwise that is an error.
        holdout_fraction: for folders, hold out this fraction of the
            training images of each class (chosen by `seed`) as the
            evaluation split: `"train"` is the rest, any other split the
            held-out images.
        seed: which images `holdout_fraction` holds out.
    """
    kind, name = resolve(name)
    if holdout_fraction is not None and kind != FOLDER:
        raise ValueError(
            f"`holdout_fraction` holds out images of a folder dataset; {name!r} "
            f"is not a folder. Received: holdout_fraction={holdout_fraction!r}"
        )
    if kind == DIGITS:
        return _digits(split)
    if kind == FOLDER:
        return _folder(name, split, skip_corrupt, holdout_fraction, seed)
    return _tfds(name, split, data_dir, shuffle_files, download)


def resolve(name):
    """`(kind, name)`: the one rule by which a dataset argument is read.

    A trailing slash is dropped (`flowers/` is `flowers`). `"digits"` is the
    embedded set, even beside a folder of that name (write `./digits` for
    the folder); another existing folder is a folder dataset, whichever name
    it has; anything else is a tensorflow-datasets name, unless it reads as
    a path (a separator, a leading `.` or `~`), which is an error naming it.

    Example:

    >>> resolve("digits/")
    ('digits', 'digits')
    """
    name = os.fspath(name)
    name = name.rstrip(os.sep) or name
    if name == DIGITS:
        return DIGITS, name
    if os.path.isdir(name):
        return FOLDER, name
    if os.sep in name or name.startswith((".", "~")):
        raise ValueError(f"No such dataset folder: {os.path.abspath(name)!r}.")
    return TFDS, name


def dataset_id(name):
    """`name` as `load_dataset` reads it (`resolve`): a folder's absolute
    path, else the name."""
    kind, name = resolve(name)
    return os.path.abspath(name) if kind == FOLDER else name


def _digits(split):
    splits = embedded.load_digits()
    if split not in splits:
        raise ValueError(f"digits has splits {sorted(splits)}. Received: split={split!r}")
    images, labels = splits[split]
    images, labels = tf.constant(images), tf.constant(labels)

    def load(index):
        return images[index], labels[index]

    info = DatasetInfo(10, len(labels), embedded.DIGITS_CLASSES)
    return Split(info, load_fn=load)


def _folder(root, split, skip_corrupt, holdout_fraction, seed):
    if holdout_fraction is not None:
        return _held_out(root, split, skip_corrupt, holdout_fraction, seed)
    train_dir = os.path.join(root, "train")
    has_train = os.path.isdir(train_dir)
    split_dir = os.path.join(root, split)
    if split == "train":
        # Without train/, the folder is the class folders: all of it trains.
        return _image_split(train_dir if has_train else root, skip_corrupt)
    if not has_train:
        raise ValueError(
            f"{root!r} has no train/ folder, so it has no {split!r} split "
            "apart from its training images. Arrange it as "
            f"{os.path.join(root, 'train', '<class>')}/ and "
            f"{os.path.join(split_dir, '<class>')}/, or hold out part of its "
            "images with --holdout_fraction (e.g. 0.1)."
        )
    if not os.path.isdir(split_dir):
        raise ValueError(
            f"{root!r} has no {split}/ folder (it has {folder.class_folders(root)}). "
            "Choose a split it has (--eval_split, --split), add "
            f"{split_dir}/<class>/ images, or hold out part of the training "
            "images with --holdout_fraction (e.g. 0.1)."
        )
    return _image_split(split_dir, skip_corrupt, folder.class_folders(train_dir))


def _held_out(root, split, skip_corrupt, fraction, seed):
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`holdout_fraction` must be in (0, 1). Received: holdout_fraction={fraction!r}")
    train_dir = os.path.join(root, "train")
    if split != "train" and os.path.isdir(os.path.join(root, split)):
        raise ValueError(
            f"{root!r} has a {split}/ folder, but --holdout_fraction would "
            "evaluate on held-out training images instead. Drop one of them."
        )
    source = train_dir if os.path.isdir(train_dir) else root
    paths, labels, class_names, skipped = folder.list_image_folder(source, skip_corrupt)
    _report_skipped(skipped, source)
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    held_out = np.zeros(len(paths), bool)
    for label, name in enumerate(class_names):
        indices = np.flatnonzero(labels == label)
        if len(indices) < 2:
            raise ValueError(
                f"The class folder {os.path.join(source, name)!r} has one image: "
                "holding out part of it leaves none to train on."
            )
        count = min(max(1, round(fraction * len(indices))), len(indices) - 1)
        held_out[rng.choice(indices, count, replace=False)] = True
    keep = held_out if split != "train" else ~held_out
    return _files_split([p for p, k in zip(paths, keep) if k], labels[keep].tolist(), class_names)


def _image_split(directory, skip_corrupt, class_names=None):
    paths, labels, class_names, skipped = folder.list_image_folder(
        directory, skip_corrupt, class_names
    )
    _report_skipped(skipped, directory)
    return _files_split(paths, labels, class_names)


def _report_skipped(skipped, directory):
    if skipped:
        print(f"Skipped {skipped} unreadable image file(s) under {directory}.")


def _files_split(paths, labels, class_names):
    info = DatasetInfo(len(class_names), len(paths), class_names)
    paths, labels = tf.constant(paths), tf.constant(labels, "int32")

    def load(index):
        data = tf.io.read_file(paths[index])
        image = tf.io.decode_image(data, channels=3, expand_animations=False)
        return image, labels[index]

    return Split(info, load_fn=load)


def _builder(name, data_dir):
    import tensorflow_datasets as tfds

    try:
        return tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError as e:
        raise ValueError(
            f"{name!r} is neither a folder (no directory {os.path.abspath(name)!r}) "
            "nor a tensorflow-datasets name (tfds.list_builders() lists them)."
        ) from e


def _tfds(name, split, data_dir, shuffle_files, download):
    import tensorflow_datasets as tfds

    _builder(name, data_dir)
    try:
        dataset, info = tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            as_supervised=True,
            with_info=True,
            shuffle_files=shuffle_files,
            download=download,
        )
    except AssertionError as e:  # tfds' "could not find data" without download
        raise ValueError(
            f"The tensorflow-datasets dataset {name!r} is not prepared in "
            f"{data_dir or tfds.core.constants.DATA_DIR}, and there is no folder "
            f"named {name!r} either. Prepare it once with `tfds build {name}` "
            "(downloads), point --data_dir at prepared data, or pass --download "
            "to let this run download it."
        ) from e
    label = info.features["label"]
    num_examples = int(dataset.cardinality())
    if num_examples < 0:
        num_examples = info.splits[split].num_examples
    dataset = dataset.map(
        lambda image, y: (_to_rgb(image), tf.cast(y, "int32")),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    info = DatasetInfo(
        label.num_classes,
        num_examples,
        list(label.names),
    )
    return Split(info, dataset=dataset)


def _to_rgb(image):
    if image.shape[-1] == 1:
        return tf.image.grayscale_to_rgb(image)
    return image


def eval_split_name(name, data_dir=None):
    """`"validation"` where the dataset has one (ImageNet), else `"test"`."""
    kind, name = resolve(name)
    if kind == DIGITS:
        return "test"
    if kind == FOLDER:
        return "test" if os.path.isdir(os.path.join(name, "test")) else "validation"
    splits = _builder(name, data_dir).info.splits
    return "validation" if "validation" in splits else "test"
