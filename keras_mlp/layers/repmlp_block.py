import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers import weight_folding
from keras_mlp.layers.conv_bn import batch_norm
from keras_mlp.layers.locality_injection import LocalityInjectionBlock
from keras_mlp.layers.shifted_depthwise_conv import ShiftedDepthwiseConv2D


@keras.saving.register_keras_serializable(package="keras_mlp")
class RepMLPBlock(LocalityInjectionBlock):
    """The RepMLP Block of RepMLPNet (Ding et al., CVPR 2022, arXiv 2112.11081).

    On a `(batch, H, W, C)` map cut into `h x w` partitions:

        gate  = sigmoid(fc2(relu(fc1(mean_HW(x)))))       # Global Perceptron
        y_c   = fc3_s(x_c)  for every partition, s = c mod S
                                                          # Partition Perceptron
        y_c  += sum_k bn_k(depthwise_conv_k(x_c))         # Local Perceptron
        out   = y * gate

    `fc3_s` is an FC over the `h*w` pixels of one channel of one partition,
    shared by the channels of share-set `s` (`num_sharesets` sets). The
    Local Perceptron's convs (kernels `reparam_conv_k`) and the BatchNorms
    exist only in the training form: `reparameterize()` folds them into
    `fc3` (Locality Injection), leaving three FC layers.

    Args:
        h, w: int, partition size; the input's H and W must be multiples.
        num_sharesets: int, number `S` of FC3 weight sets; must divide C.
        reparam_conv_k: tuple of odd ints, kernels of the Local Perceptron;
            empty for none.
        globalperceptron_reduce: int, channel reduction of the gate's MLP.
        deploy: bool, build the fused (inference) form.

    Example:

    >>> block = RepMLPBlock(h=7, w=7, num_sharesets=4)
    >>> block(keras.ops.ones((2, 14, 14, 16))).shape
    (2, 14, 14, 16)
    """

    def __init__(
        self,
        h,
        w,
        num_sharesets=1,
        reparam_conv_k=(1, 3),
        globalperceptron_reduce=4,
        deploy=False,
        **kwargs,
    ):
        super().__init__(h, w, reparam_conv_k, deploy=deploy, **kwargs)
        validation.positive_ints(num_sharesets=num_sharesets, globalperceptron_reduce=globalperceptron_reduce)
        self.num_sharesets = num_sharesets
        self.globalperceptron_reduce = globalperceptron_reduce

    def build(self, input_shape):
        _, height, width, channels = input_shape
        self.check_input(input_shape, groups="num_sharesets")
        if channels < self.globalperceptron_reduce:
            raise ValueError(
                f"`globalperceptron_reduce` must be at most the input channels "
                f"{channels}. Received: globalperceptron_reduce={self.globalperceptron_reduce}"
            )
        sets, pixels = self.num_sharesets, self.h * self.w
        dtype = self.dtype_policy
        self.gp_fc1 = keras.layers.Dense(
            channels // self.globalperceptron_reduce, activation="relu", name="gp_fc1", dtype=dtype
        )
        self.gp_fc1.build((None, channels))
        self.gp_fc2 = keras.layers.Dense(channels, activation="sigmoid", name="gp_fc2", dtype=dtype)
        self.gp_fc2.build((None, channels // self.globalperceptron_reduce))
        # One (in_pixels, out_pixels) kernel per share-set.
        self.build_fc3(sets, pixels)
        if self.deploy:
            return
        self.fc3_bn = batch_norm("fc3_bn", axis=0, dtype=dtype)
        self.fc3_bn.build((sets, None, pixels))
        self.build_local_perceptron(
            lambda k, name: ShiftedDepthwiseConv2D(
                k, padding="same", use_bias=False, name=name, dtype=dtype
            ),
            sets,
        )

    def call(self, inputs, training=None):
        _, height, width, channels = inputs.shape
        h, w, sets = self.h, self.w, self.num_sharesets
        cols, groups = width // w, channels // sets
        gate = self.gp_fc2(self.gp_fc1(ops.mean(inputs, axis=(1, 2))))

        # (S, batch * partitions * C/S, h*w): channel c = g * S + s uses set s.
        # Batch and partition rows stay merged: TFLite transposes at most 6-D.
        x = ops.reshape(inputs, (-1, h, cols, w, groups, sets))
        x = ops.transpose(x, (5, 0, 2, 4, 1, 3))
        x = ops.reshape(x, (sets, -1, h * w))
        y = ops.matmul(x, self.fc3_kernel)
        if self.deploy:
            y = y + ops.reshape(self.fc3_bias, (sets, 1, h * w))
        else:
            y = self.fc3_bn(y, training=training)
            if self.reparam_conv_k:
                maps = ops.transpose(ops.reshape(x, (sets, -1, h, w)), (1, 2, 3, 0))
                local = self.local_perceptron(maps, training=training)
                y = y + ops.reshape(ops.transpose(local, (3, 0, 1, 2)), (sets, -1, h * w))

        y = ops.reshape(y, (sets, -1, cols, groups, h, w))
        y = ops.transpose(y, (1, 4, 2, 5, 3, 0))
        y = ops.reshape(y, (-1, height, width, channels))
        return y * ops.expand_dims(ops.expand_dims(gate, 1), 1)

    def fused_weights(self):
        scale, shift = weight_folding.batch_norm_affine(self.fc3_bn)
        kernel = ops.convert_to_numpy(self.fc3_kernel) * scale[:, None, None]
        bias = self.inject_locality(kernel, np.repeat(shift, self.h * self.w))
        gp = [ops.convert_to_numpy(v) for v in self.gp_fc1.weights + self.gp_fc2.weights]
        return [kernel, bias] + gp

    def own_macs(self, input_shape):
        """Multiply-accumulates per example, for `keras_mlp.count_macs`.

        FC3 mixes, for every pixel of every channel, the `h * w` pixels of its
        partition; each Local Perceptron kernel is a depthwise conv over all
        pixels; the Global Perceptron is two small FCs.
        """
        _, height, width, channels = input_shape
        kernels = () if self.deploy else self.reparam_conv_k
        local = sum(height * width * channels * k * k for k in kernels)
        fc3 = height * width * channels * self.h * self.w
        return fc3 + local + 2 * channels * self.gp_fc1.units

    def get_config(self):
        return {
            **super().get_config(),
            **layer_config.arguments(self, "num_sharesets", "globalperceptron_reduce"),
        }
