"""A Flax MLP-Mixer in the layout of the official release, for parity tests.

Written from the paper and the official module structure
(google-research/vision_transformer, vit_jax/models_mixer.py), so that its
flattened parameters carry exactly the official `.npz` key names.
"""

import flax.linen as nn
import jax.numpy as jnp
import numpy as np


class MlpBlock(nn.Module):
    mlp_dim: int

    @nn.compact
    def __call__(self, x):
        y = nn.Dense(self.mlp_dim)(x)
        y = nn.gelu(y)  # flax default: tanh approximation, as the release
        return nn.Dense(x.shape[-1])(y)


class MixerBlock(nn.Module):
    tokens_mlp_dim: int
    channels_mlp_dim: int

    @nn.compact
    def __call__(self, x):
        y = nn.LayerNorm()(x)
        y = jnp.swapaxes(y, 1, 2)
        y = MlpBlock(self.tokens_mlp_dim, name="token_mixing")(y)
        x = x + jnp.swapaxes(y, 1, 2)
        y = nn.LayerNorm()(x)
        return x + MlpBlock(self.channels_mlp_dim, name="channel_mixing")(y)


class MlpMixer(nn.Module):
    patch_size: int
    num_classes: int
    num_blocks: int
    hidden_dim: int
    tokens_mlp_dim: int
    channels_mlp_dim: int

    @nn.compact
    def __call__(self, x):
        p = self.patch_size
        x = nn.Conv(self.hidden_dim, (p, p), strides=(p, p), name="stem")(x)
        x = jnp.reshape(x, (x.shape[0], -1, x.shape[-1]))
        for _ in range(self.num_blocks):
            x = MixerBlock(self.tokens_mlp_dim, self.channels_mlp_dim)(x)
        x = nn.LayerNorm(name="pre_head_layer_norm")(x)
        x = jnp.mean(x, axis=1)
        return nn.Dense(self.num_classes, name="head")(x)


def flatten(params, prefix=""):
    """Nested Flax params -> `{"a/b/c": array}`, the released `.npz` layout."""
    flat = {}
    for key, value in params.items():
        name = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(flatten(value, name))
        else:
            flat[name] = np.asarray(value)
    return flat
