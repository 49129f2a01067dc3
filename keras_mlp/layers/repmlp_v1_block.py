import keras
import numpy as np
from keras import ops

from keras_mlp import validation
from keras_mlp.layers import layer_config
from keras_mlp.layers import weight_folding
from keras_mlp.layers.conv_bn import batch_norm
from keras_mlp.layers.grouped_conv import GroupedConv2D
from keras_mlp.layers.locality_injection import LocalityInjectionBlock


@keras.saving.register_keras_serializable(package="keras_mlp")
class RepMLPV1Block(LocalityInjectionBlock):
    """The original RepMLP block (Ding et al., 2021, arXiv 2105.01883).

    On a `(batch, H, W, C)` map cut into `h x w` partitions:

        v = fc2(relu(fc1(flatten(bn(avg_pool_hw(x))))))   # Global Perceptron
        x = x + v   (one value per partition and channel)
        y = fc3(x_p)   for every partition p              # Partition Perceptron
        y = bn(y) + sum_k bn_k(conv_k(x_p))               # Local Perceptron

    Unlike `RepMLPBlock`, `fc3` mixes channels: it maps the whole
    `C x h x w` partition to `C x h x w`, split into `fc3_groups` channel
    groups, and the Local Perceptron's convs are grouped the same way.
    The Global Perceptron exists only when there is more than one partition.
    `reparameterize()` folds the convs and every BatchNorm into `fc3` and
    `fc1`, as the official `switch_to_deploy()`.

    Args:
        h, w: int, partition size; the input's H and W must be multiples.
        reparam_conv_k: tuple of odd ints, Local Perceptron kernels; empty
            for none.
        fc1_fc2_reduction: int, hidden width of the Global Perceptron is
            `C * H/h * W/w // fc1_fc2_reduction`.
        fc3_groups: int, channel groups of `fc3` and the convs; must divide C.
        deploy: bool, build the fused (inference) form.

    Example:

    >>> block = RepMLPV1Block(h=7, w=7, fc3_groups=4)
    >>> block(keras.ops.ones((2, 14, 14, 16))).shape
    (2, 14, 14, 16)
    """

    def __init__(
        self,
        h,
        w,
        reparam_conv_k=(1, 3, 5),
        fc1_fc2_reduction=1,
        fc3_groups=1,
        deploy=False,
        **kwargs,
    ):
        super().__init__(h, w, reparam_conv_k, deploy=deploy, **kwargs)
        validation.positive_ints(fc1_fc2_reduction=fc1_fc2_reduction, fc3_groups=fc3_groups)
        self.fc1_fc2_reduction = fc1_fc2_reduction
        self.fc3_groups = fc3_groups

    def build(self, input_shape):
        _, height, width, channels = input_shape
        self.check_input(input_shape, groups="fc3_groups")
        dtype = self.dtype_policy
        groups, features = self.fc3_groups, channels * self.h * self.w // self.fc3_groups
        self.build_fc3(groups, features)
        self.has_global_perceptron = (height, width) != (self.h, self.w)
        if self.has_global_perceptron:
            partitions = channels * (height // self.h) * (width // self.w)
            hidden = partitions // self.fc1_fc2_reduction
            if not self.deploy:
                self.avg_bn = batch_norm("avg_bn", dtype=dtype)
                self.avg_bn.build((None, None, None, channels))
            self.gp_fc1 = keras.layers.Dense(hidden, activation="relu", name="gp_fc1", dtype=dtype)
            self.gp_fc1.build((None, partitions))
            self.gp_fc2 = keras.layers.Dense(partitions, name="gp_fc2", dtype=dtype)
            self.gp_fc2.build((None, hidden))
        if self.deploy:
            return
        self.fc3_bn = batch_norm("fc3_bn", dtype=dtype)
        self.fc3_bn.build((None, groups * features))
        self.build_local_perceptron(
            lambda k, name: GroupedConv2D(
                channels, k, padding="same", groups=groups, use_bias=False, name=name, dtype=dtype
            ),
            channels,
        )

    def call(self, inputs, training=None):
        _, height, width, channels = inputs.shape
        h, w, groups = self.h, self.w, self.fc3_groups
        rows, cols, per_group = height // h, width // w, channels // groups
        features = per_group * h * w
        x = ops.reshape(inputs, (-1, rows, h, cols, w, channels))
        if self.has_global_perceptron:
            v = ops.mean(x, axis=(2, 4))
            if not self.deploy:
                v = self.avg_bn(v, training=training)
            # Flattened channel-major, as the official (C, rows, cols) order.
            v = ops.reshape(ops.transpose(v, (0, 3, 1, 2)), (-1, channels * rows * cols))
            v = self.gp_fc2(self.gp_fc1(v))
            v = ops.transpose(ops.reshape(v, (-1, channels, rows, cols)), (0, 2, 3, 1))
            x = x + v[:, :, None, :, None, :]

        # (groups, batch * partitions, channels/groups * h * w), channel-major.
        # Batch and partition rows stay merged: TFLite transposes at most 6-D.
        parts = ops.reshape(x, (-1, h, cols, w, groups, per_group))
        parts = ops.reshape(ops.transpose(parts, (4, 0, 2, 5, 1, 3)), (groups, -1, features))
        y = ops.matmul(parts, self.fc3_kernel)
        if self.deploy:
            y = y + ops.reshape(self.fc3_bias, (groups, 1, features))
        else:
            y = ops.reshape(ops.transpose(y, (1, 0, 2)), (-1, groups * features))
            y = self.fc3_bn(y, training=training)
            y = ops.transpose(ops.reshape(y, (-1, groups, features)), (1, 0, 2))
            if self.reparam_conv_k:
                maps = ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, h, w, channels))
                local = self.local_perceptron(maps, training=training)
                local = ops.reshape(local, (-1, h, w, groups, per_group))
                y = y + ops.reshape(ops.transpose(local, (3, 0, 4, 1, 2)), (groups, -1, features))

        y = ops.reshape(y, (groups, -1, cols, per_group, h, w))
        y = ops.transpose(y, (1, 4, 2, 5, 0, 3))
        return ops.reshape(y, (-1, height, width, channels))

    def fused_weights(self):
        groups, features = self.fc3_kernel.shape[0], self.fc3_kernel.shape[1]
        scale, shift = weight_folding.batch_norm_affine(self.fc3_bn)
        kernel = ops.convert_to_numpy(self.fc3_kernel) * scale.reshape(groups, 1, features)
        weights = [kernel, self.inject_locality(kernel, shift)]
        if self.has_global_perceptron:
            fc1_kernel, fc1_bias = (ops.convert_to_numpy(v) for v in self.gp_fc1.weights)
            avg_scale, avg_shift = weight_folding.batch_norm_affine(self.avg_bn)
            repeats = fc1_kernel.shape[0] // avg_scale.shape[0]
            weights += [
                fc1_kernel * np.repeat(avg_scale, repeats)[:, None],
                fc1_bias + np.repeat(avg_shift, repeats) @ fc1_kernel,
                *(ops.convert_to_numpy(v) for v in self.gp_fc2.weights),
            ]
        return weights

    def own_macs(self, input_shape):
        """Multiply-accumulates per example, for `keras_mlp.count_macs`.

        Every FC3 output of a partition's channel group mixes all
        `C/groups * h * w` inputs of that group; each Local Perceptron kernel
        is a grouped conv over every partition; the Global Perceptron is two
        FCs over the pooled partitions.
        """
        _, height, width, channels = input_shape
        per_pixel = channels * channels // self.fc3_groups
        kernels = () if self.deploy else self.reparam_conv_k
        local = sum(height * width * per_pixel * k * k for k in kernels)
        fc3 = height * width * per_pixel * self.h * self.w
        gp = 0
        if self.has_global_perceptron:
            gp = 2 * self.gp_fc1.kernel.shape[0] * self.gp_fc1.units
        return fc3 + local + gp

    def get_config(self):
        return {**super().get_config(), **layer_config.arguments(self, "fc1_fc2_reduction", "fc3_groups")}
