"""`get_config` entries read from a layer's attributes."""

import keras


def arguments(layer, *names):
    """`{name: layer.<name>}` of constructor arguments that the layer keeps
    under their own names, initializers serialized: what `get_config` adds
    to `super().get_config()`."""
    config = {}
    for name in names:
        value = getattr(layer, name)
        if isinstance(value, keras.initializers.Initializer):
            value = keras.initializers.serialize(value)
        config[name] = value
    return config
