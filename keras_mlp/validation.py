"""Argument checks shared by layers and model builders.

Each returns the value it accepts (normalised) and raises a `ValueError`
that names the argument, in the `Received: name=value` form Keras uses.
"""


class InputSizeError(ValueError):
    """An `input_shape` (image size) that the model cannot take: callers
    that chose the size (a script's `--image_size`) catch it to name it."""


def rate(name, value):
    """A probability in [0, 1): dropout and stochastic-depth rates."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value!r}")
    return float(value)


def positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return value


def positive_ints(**values):
    """`positive_int` for each `name=value`."""
    for name, value in values.items():
        positive_int(name, value)


def non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
    return value


def positive_number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")
    return float(value)


def one_of(name, value, choices):
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {tuple(choices)}. Received: {name}={value!r}")
    return value
