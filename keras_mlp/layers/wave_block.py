import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.conv_bn import BN_EPSILON, batch_norm
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.patm import PATM, PHASE_MODES
from keras_mlp.layers.stochastic_depth import StochasticDepth

NORMS = ("batch", "group")


def wave_norm(kind, name, dtype=None):
    """Wave-MLP's `norm_layer`: `nn.BatchNorm2d` (T, T*) or `nn.GroupNorm(1, C)`
    (S, M; one group, i.e. over height, width and channels together)."""
    validation.one_of("norm", kind, NORMS)
    if kind == "batch":
        return batch_norm(name, dtype=dtype)
    return keras.layers.GroupNormalization(groups=1, epsilon=BN_EPSILON, name=name, dtype=dtype)


@keras.saving.register_keras_serializable(package="keras_mlp")
class WaveBlock(keras.layers.Layer):
    """One Wave-MLP block (Tang et al., arXiv 2111.12294).

    On a `(batch, height, width, channels)` map:

        x = x + drop_path(patm(norm1(x)))
        x = x + drop_path(mlp(norm2(x)))

    `patm` is the phase-aware token mixing (`PATM`), `mlp` a GELU MLP of
    `mlp_ratio` times the width (the official 1 x 1 convs), `norm1`,
    `norm2` BatchNorms or one-group GroupNorms (`norm`).

    Args:
        mlp_ratio: float, hidden width of `mlp` over the input width.
        mode: `"fc"` or `"depthwise"`, `PATM`'s phase estimate.
        norm: `"batch"` or `"group"`.
        drop_path_rate: float, stochastic depth rate of both branches.
        kernel_initializer: initializer of every kernel.

    Example:

    >>> block = WaveBlock(norm="group")
    >>> block(keras.ops.ones((2, 6, 5, 16))).shape
    (2, 6, 5, 16)
    """

    def __init__(
        self, mlp_ratio=4.0, mode="fc", norm="batch", drop_path_rate=0.0, kernel_initializer="glorot_uniform", **kwargs
    ):
        super().__init__(**kwargs)
        self.mlp_ratio = validation.positive_number("mlp_ratio", mlp_ratio)
        self.mode = validation.one_of("mode", mode, PHASE_MODES)
        self.norm = validation.one_of("norm", norm, NORMS)
        self.drop_path_rate = validation.rate("drop_path_rate", drop_path_rate)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        common = dict(dtype=self.dtype_policy)
        self.norm1 = wave_norm(self.norm, "norm1", **common)
        self.attn = PATM(self.mode, kernel_initializer=fresh(self.kernel_initializer), name="attn", **common)
        self.norm2 = wave_norm(self.norm, "norm2", **common)
        self.mlp = MLP(
            int(channels * self.mlp_ratio), kernel_initializer=fresh(self.kernel_initializer), name="mlp", **common
        )
        for layer in (self.norm1, self.attn, self.norm2, self.mlp):
            layer.build(input_shape)
        self.drop_path = StochasticDepth(self.drop_path_rate, **common)

    def call(self, inputs, training=None):
        y = self.attn(self.norm1(inputs, training=training), training=training)
        x = inputs + self.drop_path(y, training=training)
        y = self.mlp(self.norm2(x, training=training), training=training)
        return x + self.drop_path(y, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "mlp_ratio", "mode", "norm", "drop_path_rate", "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
