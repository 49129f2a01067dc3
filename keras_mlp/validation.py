"""Argument checks shared by layers and model builders.

Each returns the value it accepts (normalised) and raises a `ValueError`
that names the argument, in the `Received: name=value` form Keras uses.
"""

import numbers


class InputSizeError(ValueError):
    """An input height, width or token count that a model or layer cannot take.

    A `ValueError` like every other refused argument; code that must tell a
    size that does not fit from other mistakes (a training run reporting
    its `--image_size`, a test looking for a model's smallest input)
    catches this type rather than reading the message.
    """


def require(condition, name, value, requirement):
    """The common error unless `condition`; `requirement` ends "`name` must be ..."."""
    if not condition:
        raise ValueError(f"`{name}` must be {requirement}. Received: {name}={value!r}")
    return value


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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


def int_pair(name, value):
    """`(rows, cols)` of positive ints, as a tuple of Python ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else ()
    require(len(pair) == 2 and all(_is_int(v) and v > 0 for v in pair), name, value, "(rows, cols) of positive ints")
    return tuple(int(v) for v in pair)


def odd_ints(name, values):
    """Positive odd ints (sizes of centred kernels), as a tuple."""
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    require(all(_is_int(v) and v > 0 and v % 2 for v in values), name, values, "positive odd ints")
    return tuple(int(v) for v in values)
