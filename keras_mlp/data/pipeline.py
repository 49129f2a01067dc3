"""tf.data pipelines for training and evaluation.

Training: per-epoch reproducible shuffle -> random-resized crop -> flip ->
RandAugment -> batch -> MixUp / CutMix -> RandomErasing -> normalise.
Evaluation: resize the shorter side to `image_size / crop_pct` -> center
crop -> normalise, as the pretrained weights' own evaluation did.
Augmentations are the core `keras.layers` ones (keras-cv is unmaintained).
"""

import dataclasses
import math

import keras
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """Training-time augmentation; the defaults do nothing.

    Attributes:
        random_resized_crop: `(min_area, max_area)` of the Inception crop, or
            `None` to only resize.
        horizontal_flip: random left-right flips.
        randaugment_ops: number of RandAugment ops per image (0: off).
        randaugment_magnitude: RandAugment strength in [0, 1].
        mixup_alpha: MixUp Beta(alpha, alpha) (0: off).
        cutmix_alpha: CutMix Beta(alpha, alpha) (0: off). With both on, each
            batch uses one of them, chosen at random.
        random_erasing: probability of erasing a rectangle (0: off).
    """

    random_resized_crop: tuple | None = None
    horizontal_flip: bool = False
    randaugment_ops: int = 0
    randaugment_magnitude: float = 0.5
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    random_erasing: float = 0.0


class EpochSeed(keras.callbacks.Callback):
    """Feeds the epoch number to the pipeline's shuffle.

    The order of epoch `e` is then a function of `(seed, e)` alone, so a run
    resumed by `BackupAndRestore` at epoch `e` sees the same batches as an
    uninterrupted run.
    """

    def __init__(self):
        super().__init__()
        self.epoch = tf.Variable(0, dtype="int64", trainable=False)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)


def make_dataset(
    split,
    training,
    preprocessing,
    batch_size,
    num_classes,
    augmentation=Augmentation(),
    seed=0,
    epoch_seed=None,
    shuffle_buffer=10_000,
    shard=None,
):
    """Batched `(images, one_hot_labels)` ready for `model.fit`.

    Args:
        split: a `keras_mlp.data.sources.Split`.
        training: shuffle and augment.
        preprocessing: the model's `keras_mlp.data.Preprocessing`: input
            size, normalisation, interpolation, and the evaluation crop.
        batch_size: global batch size (`fit` splits it across replicas).
        num_classes: depth of the one-hot labels.
        augmentation: an `Augmentation`.
        seed: shuffle and augmentation seed.
        epoch_seed: an `EpochSeed` callback (pass it to `fit` too) for
            reproducible per-epoch order of random-access splits.
        shard: `(num_shards, index)`: only every `num_shards`-th example of
            the (shuffled) order from `index` on, so that processes reading
            shards `0..num_shards-1` together see each example once; then
            `batch_size` is this shard's share of the global batch.
    """
    image_size, interpolation = preprocessing.input_size, preprocessing.interpolation
    mean, std = preprocessing.mean, preprocessing.std
    dataset = _examples(split, training, seed, epoch_seed, shuffle_buffer, shard)
    if training:
        dataset = dataset.map(
            lambda x, y: (_train_crop(x, image_size, augmentation, interpolation), y),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        if augmentation.randaugment_ops:
            randaugment = keras.layers.RandAugment(
                value_range=(0, 255),
                num_ops=augmentation.randaugment_ops,
                factor=augmentation.randaugment_magnitude,
                seed=seed,
            )
            dataset = dataset.map(
                lambda x, y: (randaugment(x, training=True), y),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
    else:
        dataset = dataset.map(
            lambda x, y: (eval_crop(x, image_size, preprocessing.crop_pct, interpolation), y),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    dataset = dataset.map(lambda x, y: (x, tf.one_hot(y, num_classes)))
    dataset = dataset.batch(batch_size, drop_remainder=training)
    if training:
        dataset = _batch_augment(dataset, augmentation, seed)
    scale = tf.constant([255.0 * s for s in std])
    offset = tf.constant([m / s for m, s in zip(mean, std)])
    dataset = dataset.map(
        lambda x, y: (tf.cast(x, "float32") / scale - offset, y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _examples(split, training, seed, epoch_seed, shuffle_buffer, shard):
    num_shards, index = shard or (1, 0)
    if split.dataset is not None:
        dataset = split.dataset
        if training:
            dataset = dataset.shuffle(shuffle_buffer, seed=seed)
        return dataset.shard(num_shards, index)
    size = split.info.num_examples
    indices = tf.data.Dataset.range(size)
    if training:
        epoch = epoch_seed.epoch if epoch_seed is not None else tf.constant(0, "int64")
        indices = indices.map(
            lambda i: tf.random.experimental.index_shuffle(
                i, tf.stack([tf.constant(seed, "int64"), epoch.value()]), size - 1
            )
        )
    # Sharded before loading: a process reads its own examples only.
    indices = indices.shard(num_shards, index)
    return indices.map(split.load_fn, num_parallel_calls=tf.data.AUTOTUNE)


def _train_crop(image, size, augmentation, interpolation):
    if augmentation.random_resized_crop:
        begin, crop_size, _ = tf.image.sample_distorted_bounding_box(
            tf.shape(image),
            bounding_boxes=tf.zeros((1, 0, 4)),
            area_range=augmentation.random_resized_crop,
            aspect_ratio_range=(3 / 4, 4 / 3),
            max_attempts=10,
            use_image_if_no_bounding_boxes=True,
        )
        image = tf.slice(image, begin, crop_size)
    image = tf.image.resize(image, (size, size), method=interpolation, antialias=True)
    if augmentation.horizontal_flip:
        image = tf.image.random_flip_left_right(image)
    # RandAugment needs the static channel count that tf.slice loses.
    return tf.ensure_shape(tf.clip_by_value(image, 0.0, 255.0), (size, size, 3))


def eval_crop(image, size, crop_pct, interpolation):
    """Resizes the shorter side of one image to `floor(size / crop_pct)` and
    keeps the central `size x size` square, in [0, 255]: timm's evaluation
    transform (torchvision's `Resize(int)` and `CenterCrop` on PIL images).
    `crop_pct` and `interpolation` come from the weights record.

    PIL filters with the kernel widened by the downscaling factor
    (antialiasing), which is what `tf.image.resize(antialias=True)` does; the
    sizes and offsets are torchvision's, rounded as it rounds them.

    Example:

    >>> eval_crop(tf.zeros((480, 640, 3)), 224, 0.875, "bicubic").shape
    TensorShape([224, 224, 3])
    """
    shape = tf.shape(image)[:2]
    resize = math.floor(size / crop_pct)
    # Resize(int) truncates the longer side: int(resize * long / short).
    scaled = shape * resize // tf.reduce_min(shape)
    image = tf.image.resize(image, scaled, method=interpolation, antialias=True)
    # CenterCrop's offsets are round((side - size) / 2), half to even as
    # Python's round and tf.round both do.
    top, left = tf.unstack(tf.cast(tf.round(tf.cast(scaled - size, "float32") / 2), "int32"))
    image = image[top : top + size, left : left + size]
    return tf.ensure_shape(tf.clip_by_value(image, 0.0, 255.0), (size, size, 3))


def _batch_augment(dataset, augmentation, seed):
    layers = []
    if augmentation.mixup_alpha:
        layers.append(keras.layers.MixUp(alpha=augmentation.mixup_alpha, seed=seed))
    if augmentation.cutmix_alpha:
        layers.append(keras.layers.CutMix(factor=augmentation.cutmix_alpha, seed=seed))
    erasing = None
    if augmentation.random_erasing:
        erasing = keras.layers.RandomErasing(
            factor=augmentation.random_erasing, value_range=(0, 255), seed=seed
        )

    def apply(images, labels):
        if layers:
            batch = {"images": images, "labels": labels}
            if len(layers) == 2:
                # timm's switch: each batch gets either MixUp or CutMix.
                batch = tf.cond(
                    tf.random.uniform(()) < 0.5,
                    lambda: layers[0](batch, training=True),
                    lambda: layers[1](batch, training=True),
                )
            else:
                batch = layers[0](batch, training=True)
            images, labels = batch["images"], batch["labels"]
        if erasing is not None:
            images = erasing(images, training=True)
        return images, labels

    if not layers and erasing is None:
        return dataset
    return dataset.map(apply, num_parallel_calls=tf.data.AUTOTUNE)
