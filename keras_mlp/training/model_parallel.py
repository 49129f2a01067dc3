"""Model parallelism for the isotropic families: a `keras.distribution.LayoutMap` each.

The devices form a `(batch, model)` mesh. Every MLP of a block is split
Megatron-style over the `model` axis: the first layer's kernel and bias by
their output units, the second layer's kernel by its input units, so the
hidden activations stay split and one all-reduce joins each MLP's output.
Everything else (norms, stem, head, the small token-mixing kernels of
ResMLP and gMLP) is replicated. A sharded run's checkpoints hold whole
arrays, so they load into an unsharded model and back.
"""

import keras

from keras_mlp.models.registry import get_constructor

_MLP = {
    r"fc1/kernel": (None, "model"),
    r"fc1/bias": ("model",),
    r"fc2/kernel": ("model", None),
}


def _mlps(*prefixes):
    return {rf"block_\d+/{prefix}{key}": axes for prefix in prefixes for key, axes in _MLP.items()}


# Families by the module that declares them, and their sharded MLPs.
LAYOUTS = {
    "mlp_mixer": _mlps("token_mixing/", "channel_mixing/"),
    "resmlp": _mlps("channel_mixing/"),
    "gmlp": _mlps(""),
}


def layout_map(model_name, mesh):
    """The `LayoutMap` of `model_name`'s family on `mesh` (axes `batch`, `model`).

    Raises a `ValueError` for a family without one.

    Example:

    >>> mesh = keras.distribution.DeviceMesh((2, 2), ("batch", "model"))
    >>> layout_map("mixer_l16", mesh)["block_3/channel_mixing/fc1/kernel"].axes
    (None, 'model')
    """
    layouts = keras.distribution.LayoutMap(mesh)
    for pattern, axes in family_layouts(model_name).items():
        layouts[pattern] = axes
    return layouts


def family_layouts(model_name):
    """`{variable path pattern: mesh axes}` of `model_name`'s family.

    Raises a `ValueError` for a family without a layout.
    """
    family = get_constructor(model_name).__module__.rpartition(".")[2]
    if family not in LAYOUTS:
        raise ValueError(
            f"--model_parallel shards the isotropic families ({', '.join(sorted(LAYOUTS))}); "
            f"{model_name} is not one of them. Train it with --model_parallel=1."
        )
    return LAYOUTS[family]


def model_parallel_distribution(model_name, devices, model_parallel):
    """`keras.distribution.ModelParallel` over `devices`, `model_parallel` to a model copy."""
    if len(devices) % model_parallel:
        raise ValueError(
            f"--model_parallel={model_parallel} does not divide the {len(devices)} devices; "
            f"pass a divisor of {len(devices)}."
        )
    mesh = keras.distribution.DeviceMesh(
        (len(devices) // model_parallel, model_parallel), ("batch", "model"), devices
    )
    return keras.distribution.ModelParallel(
        layout_map=layout_map(model_name, mesh), batch_dim_name="batch", auto_shard_dataset=False
    )
