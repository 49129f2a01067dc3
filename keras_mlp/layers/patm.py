import keras
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers.branch_reweight import BranchReweight
from keras_mlp.layers.conv_bn import batch_norm
from keras_mlp.layers.initializers import fresh
from keras_mlp.layers.shifted_depthwise_conv import ShiftedDepthwiseConv2D

PHASE_MODES = ("fc", "depthwise")
# The token-FC window of the official PATM (`tfc_h` 1 x 7, `tfc_w` 7 x 1).
TOKEN_WINDOW = 7


@keras.saving.register_keras_serializable(package="keras_mlp")
class PATM(keras.layers.Layer):
    """Phase-aware token mixing (Wave-MLP, Tang et al., arXiv 2111.12294).

    Every token is a wave with an amplitude `z` and a phase `theta`, both
    estimated from the token (Eq. 3-4 of the paper), and tokens are mixed
    as complex numbers whose real parts are summed (Eq. 5):

        theta_h = relu(bn(theta_h_conv(x)))          # phase, per token
        z_h     = fc_h(x)                            # amplitude
        h       = tfc_h([z_h cos(theta_h), z_h sin(theta_h)])   # 1 x 7 window
        (w along columns alike, with a 7 x 1 window)
        c       = fc_c(x)
        y       = proj(reweight(h, w, c))

    `theta_*_conv` is a channel FC with bias (`mode="fc"`: Wave-MLP-T/S/M)
    or a 3 x 3 depthwise conv without (`mode="depthwise"`: Wave-MLP-T*),
    `fc_*` channel FCs without bias, `reweight` the softmax fusion of the
    three branches (`BranchReweight`). `tfc_*` is the official grouped
    conv of `2 * channels` inputs to `channels` outputs: output `g` sums
    inputs `2g` and `2g + 1` of the concatenation `[z cos, z sin]` (so for
    `g < channels / 2` two cosine parts, else two sine parts). It runs as a
    depthwise conv over the concatenation and a sum of channel pairs,
    which every export format supports. No weight depends on the map's size.

    Args:
        mode: `"fc"` or `"depthwise"`: how the phase is estimated.
        kernel_initializer: initializer of every kernel.

    Example:

    >>> layer = PATM()
    >>> layer(keras.ops.ones((2, 6, 5, 16))).shape
    (2, 6, 5, 16)
    """

    def __init__(self, mode="fc", kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.mode = validation.one_of("mode", mode, PHASE_MODES)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        common = dict(dtype=self.dtype_policy)
        kernel = self.kernel_initializer
        pairs = tuple(input_shape[:-1]) + (2 * channels,)
        for axis in ("h", "w"):
            fc = keras.layers.Dense(
                channels, use_bias=False, name=f"fc_{axis}", kernel_initializer=fresh(kernel), **common
            )
            if self.mode == "fc":
                theta = keras.layers.Dense(channels, name=f"theta_{axis}", kernel_initializer=fresh(kernel), **common)
            else:
                theta = ShiftedDepthwiseConv2D(
                    3, padding="same", use_bias=False, name=f"theta_{axis}",
                    depthwise_initializer=fresh(kernel), **common,
                )
            window = (1, TOKEN_WINDOW) if axis == "h" else (TOKEN_WINDOW, 1)
            tfc = ShiftedDepthwiseConv2D(
                window, padding="same", use_bias=False, name=f"tfc_{axis}",
                depthwise_initializer=fresh(kernel), **common,
            )
            norm = batch_norm(f"theta_{axis}_norm", dtype=self.dtype_policy)
            for layer, shape in ((fc, input_shape), (theta, input_shape), (norm, input_shape), (tfc, pairs)):
                layer.build(shape)
            setattr(self, f"fc_{axis}", fc)
            setattr(self, f"theta_{axis}", theta)
            setattr(self, f"theta_{axis}_norm", norm)
            setattr(self, f"tfc_{axis}", tfc)
        self.fc_c = keras.layers.Dense(
            channels, use_bias=False, name="fc_c", kernel_initializer=fresh(kernel), **common
        )
        self.fc_c.build(input_shape)
        self.reweight = BranchReweight(name="reweight", kernel_initializer=fresh(kernel), **common)
        self.reweight.build([input_shape] * 3)
        self.proj = keras.layers.Dense(channels, name="proj", kernel_initializer=fresh(kernel), **common)
        self.proj.build(input_shape)

    def _wave(self, x, fc, theta, norm, tfc, training):
        phase = ops.relu(norm(theta(x), training=training))
        amplitude = fc(x)
        y = tfc(ops.concatenate([amplitude * ops.cos(phase), amplitude * ops.sin(phase)], axis=-1))
        return y[..., 0::2] + y[..., 1::2]

    def call(self, inputs, training=None):
        h = self._wave(inputs, self.fc_h, self.theta_h, self.theta_h_norm, self.tfc_h, training)
        w = self._wave(inputs, self.fc_w, self.theta_w, self.theta_w_norm, self.tfc_w, training)
        return self.proj(self.reweight([h, w, self.fc_c(inputs)]))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "mode", "kernel_initializer")}
