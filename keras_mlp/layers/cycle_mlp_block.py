import keras

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.branch_reweight import BranchReweight
from keras_mlp.layers.cycle_fc import CycleFC
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.stochastic_depth import StochasticDepth

# PyTorch's `nn.LayerNorm` default, which the official models use.
LAYER_NORM_EPSILON = 1e-5


@keras.saving.register_keras_serializable(package="keras_mlp")
class CycleMLPBlock(keras.layers.Layer):
    """One CycleMLP block (Chen et al., arXiv 2107.10224).

    On a `(batch, height, width, channels)` map:

        y = norm1(x)
        h = sfc_h(y)      # CycleFC, 1 x 3 window (Eq. 3, S_H = 1, S_W = 3)
        w = sfc_w(y)      # CycleFC, 3 x 1 window
        c = mlp_c(y)      # channel FC, no bias
        x = x + drop_path(proj(reweight(h, w, c)))
        x = x + drop_path(mlp(norm2(x)))

    `reweight` is the softmax fusion of the three branches
    (`BranchReweight`), `mlp` a GELU MLP of `mlp_ratio` times the width,
    `norm1`, `norm2` LayerNorms. No weight depends on the map's size.

    Args:
        mlp_ratio: float, hidden width of `mlp` over the input width.
        drop_path_rate: float, stochastic depth rate of both branches.
        kernel_initializer: initializer of every kernel.

    Example:

    >>> block = CycleMLPBlock()
    >>> block(keras.ops.ones((2, 6, 5, 16))).shape
    (2, 6, 5, 16)
    """

    def __init__(self, mlp_ratio=4.0, drop_path_rate=0.0, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.mlp_ratio = validation.positive_number("mlp_ratio", mlp_ratio)
        self.drop_path_rate = validation.rate("drop_path_rate", drop_path_rate)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        common = dict(dtype=self.dtype_policy)
        kernel = self.kernel_initializer
        self.norm1 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="norm1", **common)
        self.sfc_h = CycleFC(channels, (1, 3), name="sfc_h", kernel_initializer=fresh(kernel), **common)
        self.sfc_w = CycleFC(channels, (3, 1), name="sfc_w", kernel_initializer=fresh(kernel), **common)
        self.mlp_c = keras.layers.Dense(
            channels, use_bias=False, name="mlp_c", kernel_initializer=fresh(kernel), **common
        )
        self.reweight = BranchReweight(name="reweight", kernel_initializer=fresh(kernel), **common)
        self.proj = keras.layers.Dense(channels, name="proj", kernel_initializer=fresh(kernel), **common)
        self.norm2 = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="norm2", **common)
        self.mlp = MLP(int(channels * self.mlp_ratio), name="mlp", kernel_initializer=fresh(kernel), **common)
        for layer in (self.norm1, self.sfc_h, self.sfc_w, self.mlp_c, self.proj, self.norm2, self.mlp):
            layer.build(input_shape)
        self.reweight.build([input_shape] * 3)
        self.drop_path = StochasticDepth(self.drop_path_rate, **common)

    def call(self, inputs, training=None):
        y = self.norm1(inputs)
        y = self.proj(self.reweight([self.sfc_h(y), self.sfc_w(y), self.mlp_c(y)]))
        x = inputs + self.drop_path(y, training=training)
        y = self.mlp(self.norm2(x), training=training)
        return x + self.drop_path(y, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        arguments = layer_config.arguments(
            self, "mlp_ratio", "drop_path_rate", "kernel_initializer",
        )
        return {**super().get_config(), **arguments}
