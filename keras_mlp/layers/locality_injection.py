import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers import weight_folding
from keras_mlp.layers.conv_bn import batch_norm
from keras_mlp.layers.reparameterizable import Reparameterizable


class LocalityInjectionBlock(Reparameterizable):
    """Base of the RepMLP blocks: an FC over `h x w` partitions trained beside convs.

    Both RepMLP blocks cut a `(batch, H, W, C)` map into `h x w` partitions
    and apply `fc3`, a grouped FC over each partition's pixels (the Partition
    Perceptron). In the training form, conv + BatchNorm branches with the
    odd kernels `reparam_conv_k` run on the same partitions (the Local
    Perceptron); a conv on an `h x w` partition is itself an FC, so
    `reparameterize()` folds them into `fc3` (Locality Injection, Ding et
    al., arXiv 2105.01883, Sec. 3.3).

    This class holds what that takes: the partition arguments and their
    check, `fc3`'s weights, the Local Perceptron's branches and their
    folding. Subclasses choose the groups of `fc3` and the convs.
    """

    def __init__(self, h, w, reparam_conv_k, deploy=False, **kwargs):
        super().__init__(deploy=deploy, **kwargs)
        validation.positive_ints(h=h, w=w)
        self.h = h
        self.w = w
        # A centred (odd) kernel is what pads into the FC.
        self.reparam_conv_k = validation.odd_ints("reparam_conv_k", reparam_conv_k or ())

    def check_input(self, input_shape, groups):
        """Raises unless the input map splits into `h x w` partitions whose channels
        split into the groups of `fc3` (the argument named `groups`)."""
        _, height, width, channels = input_shape
        if height is None or width is None or channels is None:
            raise validation.InputSizeError(
                f"{type(self).__name__} needs a known input height, width and "
                "channels: its FC layers have one weight per partition pixel. "
                f"Received: input_shape=(None, {height}, {width}, {channels})"
            )
        if height % self.h or width % self.w:
            raise validation.InputSizeError(
                f"{type(self).__name__} {self.name!r}: the input's height and width "
                f"({height}, {width}) must be multiples of the partition size "
                f"h={self.h}, w={self.w}."
            )
        if channels % getattr(self, groups):
            raise ValueError(
                f"`{groups}` must divide the input channels {channels}. "
                f"Received: {groups}={getattr(self, groups)}"
            )

    def build_fc3(self, groups, features):
        """`fc3`: one `(features, features)` kernel per group; a bias only when deployed."""
        self.fc3_kernel = self.add_weight(
            shape=(groups, features, features),
            # PyTorch's default for the official FC: U(+-1/sqrt(fan_in)).
            initializer=keras.initializers.RandomUniform(-(features**-0.5), features**-0.5),
            name="fc3_kernel",
        )
        if self.deploy:
            self.fc3_bias = self.add_weight(shape=(groups * features,), initializer="zeros", name="fc3_bias")

    def build_local_perceptron(self, make_conv, channels):
        """One `make_conv(k, name)` conv and one BatchNorm per kernel size, on `channels`."""
        self.local_convs, self.local_bns = [], []
        shape = (None, self.h, self.w, channels)
        for k in self.reparam_conv_k:
            conv = make_conv(k, f"repconv{k}_conv")
            conv.build(shape)
            bn = batch_norm(f"repconv{k}_bn", dtype=self.dtype_policy)
            bn.build(shape)
            self.local_convs.append(conv)
            self.local_bns.append(bn)

    def local_perceptron(self, maps, training=None):
        """The sum of the conv + BatchNorm branches on `(batch * partitions, h, w, channels)`."""
        return sum(bn(conv(maps), training=training) for conv, bn in zip(self.local_convs, self.local_bns))

    def inject_locality(self, kernel, bias):
        """Folds the Local Perceptron into `fc3`'s `(groups, n, n)` kernel and its bias.

        Adds to `kernel` in place and returns the bias; both are channel-major,
        as `weight_folding.conv_to_fc` lays them out.
        """
        if not self.reparam_conv_k:
            return bias
        size, pixels = max(self.reparam_conv_k), self.h * self.w
        local_kernel = 0
        for conv, bn in zip(self.local_convs, self.local_bns):
            bn_scale, bn_shift = weight_folding.batch_norm_affine(bn)
            local_kernel = local_kernel + weight_folding.pad_kernel(grouped_kernel(conv) * bn_scale, size)
            bias = bias + np.repeat(bn_shift, pixels)
        groups = kernel.shape[0]
        per_group = local_kernel.shape[3] // groups
        for g in range(groups):
            kernel[g] += weight_folding.conv_to_fc(
                local_kernel[..., g * per_group : (g + 1) * per_group], self.h, self.w
            )
        return bias

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {**super().get_config(), **layer_config.arguments(self, "h", "w")}
        config["reparam_conv_k"] = list(self.reparam_conv_k)
        return config


def grouped_kernel(conv):
    """`conv`'s kernel as a NumPy `(k, k, in_channels / groups, out_channels)` array."""
    kernel = ops.convert_to_numpy(conv.kernel)
    if isinstance(conv, keras.layers.DepthwiseConv2D):
        # A depthwise conv is a grouped conv with one channel a group:
        # (k, k, C, 1) -> (k, k, 1, C).
        return np.swapaxes(kernel, 2, 3)
    return kernel
