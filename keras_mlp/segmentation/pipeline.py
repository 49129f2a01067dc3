"""Batches of `(normalised image, label map)` for segmentation training.

Training examples get mmsegmentation's joint augmentation: a random rescale
(by default 0.5x to 2x of fitting the crop), padding (ignored label) and a random crop
of `image_size`, a random horizontal flip, all applied to image and label
map alike; brightness and contrast jitter apply to the image only.
Evaluation examples are resized whole to `image_size` (labels by nearest
neighbour).
"""

import tensorflow as tf

from keras_mlp.segmentation.data import IGNORE_INDEX

SCALE_RANGE = (0.5, 2.0)


def make_dataset(split, training, image_size, batch_size, mean, std, seed=0, flip=True, scale_range=SCALE_RANGE):
    """`split.dataset` as batches of float32 images and int32 label maps."""
    mean = tf.constant(mean, "float32") * 255.0
    std = tf.constant(std, "float32") * 255.0
    dataset = split.dataset
    if training:
        dataset = dataset.shuffle(min(split.num_examples, 10_000), seed=seed, reshuffle_each_iteration=True)

    def prepare(image, label):
        image, label = tf.cast(image, "float32"), tf.cast(label, "int32")[..., None]
        if training:
            image, label = _augment(image, label, image_size, flip, scale_range)
        else:
            image = tf.image.resize(image, (image_size, image_size))
            label = tf.image.resize(label, (image_size, image_size), method="nearest")
        return (image - mean) / std, label[..., 0]

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)


def _augment(image, label, size, flip, scale_range):
    shape = tf.cast(tf.shape(image)[:2], "float32")
    fit = size / tf.reduce_max(shape)
    scale = fit * tf.random.uniform((), *scale_range)
    new_shape = tf.cast(tf.round(shape * scale), "int32")
    image = tf.image.resize(image, new_shape)
    label = tf.image.resize(label, new_shape, method="nearest")
    # Pad with the ignored label so padding never counts as background.
    pad = tf.maximum(size - new_shape, 0)
    paddings = [[0, pad[0]], [0, pad[1]], [0, 0]]
    image = tf.pad(image, paddings)
    label = tf.pad(label + 1, paddings) - 1
    label = tf.where(label < 0, IGNORE_INDEX, label)
    both = tf.concat([image, tf.cast(label, "float32")], axis=-1)
    both = tf.image.random_crop(both, (size, size, 4))
    if flip:
        both = tf.image.random_flip_left_right(both)
    image, label = both[..., :3], tf.cast(both[..., 3:], "int32")
    image = tf.image.random_brightness(image, 32.0)
    image = tf.image.random_contrast(image, 0.75, 1.25)
    return tf.clip_by_value(image, 0.0, 255.0), label
