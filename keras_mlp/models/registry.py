"""Model registry: build any keras_mlp model from its name."""

import difflib
import fnmatch

from keras_mlp.weights import registry as pretrained_registry

_MODELS = {}


def register_model(name):
    """Decorator registering a public constructor under `name`."""

    def decorator(constructor):
        if name in _MODELS:
            raise ValueError(f"Model {name!r} registered twice.")
        _MODELS[name] = constructor
        return constructor

    return decorator


def list_models(pattern="*"):
    """Registered model names matching a shell-style `pattern`.

    Example:

    >>> list_models("mixer_b*")
    ['mixer_b16', 'mixer_b32']
    """
    return sorted(fnmatch.filter(_MODELS, pattern))


def get_constructor(name):
    """The public constructor registered as `name` (e.g. `MixerB16`).

    Example:

    >>> get_constructor("mixer_b16").__name__
    'MixerB16'
    """
    if name not in _MODELS:
        close = difflib.get_close_matches(str(name), _MODELS, n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown model {name!r}.{hint} Available models: {list_models()}")
    return _MODELS[name]


def create_model(model_name, /, **kwargs):
    """Builds the model registered as `model_name`; `kwargs` go to its
    constructor (`name=` among them, the Keras model's name).

    Example:

    >>> model = create_model("mixer_s32", input_shape=(64, 64, 3), classes=10)
    >>> model.output_shape
    (None, 10)
    """
    return get_constructor(model_name)(**kwargs)


def get_pretrained(model, tag=None):
    """The `PretrainedWeights` of `("mixer_b16", "imagenet1k")` or `"mixer_b16.imagenet1k"`.

    A misspelt model has no tags either: its name is the mistake reported.

    Example:

    >>> get_pretrained("mixer_b16.imagenet1k").classes
    1000
    """
    name = model if tag is not None else model.partition(".")[0]
    get_constructor(name)
    return pretrained_registry.get_pretrained(model, tag)
