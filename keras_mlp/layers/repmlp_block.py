import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers import weight_folding
from keras_mlp.layers.conv_bn import batch_norm
from keras_mlp.layers.reparameterizable import Reparameterizable


@keras.saving.register_keras_serializable(package="keras_mlp")
class RepMLPBlock(Reparameterizable):
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
        super().__init__(deploy=deploy, **kwargs)
        validation.positive_ints(
            h=h, w=w, num_sharesets=num_sharesets, globalperceptron_reduce=globalperceptron_reduce
        )
        self.h = h
        self.w = w
        self.num_sharesets = num_sharesets
        # A centred (odd) kernel is what pads into the FC.
        self.reparam_conv_k = validation.odd_ints("reparam_conv_k", reparam_conv_k or ())
        self.globalperceptron_reduce = globalperceptron_reduce

    def build(self, input_shape):
        _, height, width, channels = input_shape
        check_partition(self, height, width, channels)
        if channels % self.num_sharesets:
            raise ValueError(
                f"`num_sharesets` must divide the input channels {channels}. "
                f"Received: num_sharesets={self.num_sharesets}"
            )
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
        self.fc3_kernel = self.add_weight(
            shape=(sets, pixels, pixels),
            # PyTorch's default for the official 1x1 conv: U(+-1/sqrt(fan_in)).
            initializer=keras.initializers.RandomUniform(-(pixels**-0.5), pixels**-0.5),
            name="fc3_kernel",
        )
        if self.deploy:
            self.fc3_bias = self.add_weight(shape=(sets * pixels,), initializer="zeros", name="fc3_bias")
            return
        self.fc3_bn = batch_norm("fc3_bn", axis=0, dtype=dtype)
        self.fc3_bn.build((sets, None, pixels))
        self.local_convs, self.local_bns = [], []
        for k in self.reparam_conv_k:
            conv = keras.layers.DepthwiseConv2D(
                k, padding="same", use_bias=False, name=f"repconv{k}_conv", dtype=dtype
            )
            conv.build((None, self.h, self.w, sets))
            bn = batch_norm(f"repconv{k}_bn", dtype=dtype)
            bn.build((None, self.h, self.w, sets))
            self.local_convs.append(conv)
            self.local_bns.append(bn)

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
                local = sum(
                    bn(conv(maps), training=training)
                    for conv, bn in zip(self.local_convs, self.local_bns)
                )
                y = y + ops.reshape(ops.transpose(local, (3, 0, 1, 2)), (sets, -1, h * w))

        y = ops.reshape(y, (sets, -1, cols, groups, h, w))
        y = ops.transpose(y, (1, 4, 2, 5, 3, 0))
        y = ops.reshape(y, (-1, height, width, channels))
        return y * ops.expand_dims(ops.expand_dims(gate, 1), 1)

    def fused_weights(self):
        sets, pixels = self.num_sharesets, self.h * self.w
        scale, shift = weight_folding.batch_norm_affine(self.fc3_bn)
        kernel = ops.convert_to_numpy(self.fc3_kernel) * scale[:, None, None]
        bias = np.repeat(shift, pixels)
        if self.reparam_conv_k:
            size = max(self.reparam_conv_k)
            local_kernel = np.zeros((size, size, sets, 1), "float32")
            for conv, bn in zip(self.local_convs, self.local_bns):
                bn_scale, bn_shift = weight_folding.batch_norm_affine(bn)
                local_kernel += weight_folding.pad_kernel(
                    ops.convert_to_numpy(conv.kernel) * bn_scale[:, None], size
                )
                bias += np.repeat(bn_shift, pixels)
            for s in range(sets):
                kernel[s] += weight_folding.conv_to_fc(
                    local_kernel[:, :, s : s + 1], self.h, self.w
                )
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

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            **super().get_config(),
            **layer_config.arguments(self, "h", "w", "num_sharesets", "globalperceptron_reduce"),
        }
        config["reparam_conv_k"] = list(self.reparam_conv_k)
        return config


def check_partition(block, height, width, channels):
    """Raises unless a `(height, width, channels)` map splits into `h x w` partitions."""
    if height is None or width is None or channels is None:
        raise validation.InputSizeError(
            f"{type(block).__name__} needs a known input height, width and "
            "channels: its FC layers have one weight per partition pixel. "
            f"Received: input_shape=(None, {height}, {width}, {channels})"
        )
    if height % block.h or width % block.w:
        raise validation.InputSizeError(
            f"{type(block).__name__} {block.name!r}: the input's height and width "
            f"({height}, {width}) must be multiples of the partition size "
            f"h={block.h}, w={block.w}."
        )
