"""One initializer argument filling several weights, each with its own values."""

import keras


def fresh(initializer):
    """A copy of `initializer` for one more weight.

    Keras initializers are stateless: an unseeded instance draws its seed
    once, when it is made, and fills every weight it is given from that seed.
    A layer that hands its one `kernel_initializer` to several kernels would
    start them as scaled copies of each other (a Mixer block's four kernels,
    every block of a model built with a module-level instance). A copy made
    from the config draws a seed of its own, after `keras.utils.set_random_seed`
    like any new instance; a seeded initializer copies to its seed, so it
    repeats as Keras defines seeded initializers to (the copy of
    `keras.layers.MultiHeadAttention`'s sublayers).

    Example:

    >>> init = keras.initializers.get("glorot_uniform")
    >>> a, b = fresh(init)((4, 4)), fresh(init)((4, 4))
    >>> bool(keras.ops.all(a == b))
    False
    """
    initializer = keras.initializers.get(initializer)
    return initializer.__class__.from_config(initializer.get_config())
