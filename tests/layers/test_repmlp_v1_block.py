import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_mlp.layers import RepMLPV1Block
from tests import repmlp_v1_torch, testing
from keras_mlp.models.reparameterize import randomize_batch_norms

# (h, w, kernels, reduction, groups, input (H, W, C)).
CONFIGS = (
    ("single_partition", 4, 4, (1, 3, 5), 1, 2, (4, 4, 8)),
    ("global_perceptron", 4, 4, (1, 3, 5), 1, 4, (8, 12, 8)),
    ("reduction", 3, 2, (1, 3), 2, 1, (6, 4, 6)),
    ("no_local", 4, 4, (), 1, 2, (8, 8, 4)),
)


def _inputs(shape, batch=3):
    return np.random.default_rng(1).normal(size=(batch, *shape)).astype("float32")


class RepMLPV1BlockTest(testing.TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            RepMLPV1Block,
            dict(h=4, w=4, fc3_groups=2, reparam_conv_k=(1, 3)),
            input_shape=(2, 8, 8, 8),
            expected_output_shape=(2, 8, 8, 8),
            # fc3 kernel, gp 2x(kernel, bias), 4 BNs' gamma/beta, 2 convs.
            expected_num_trainable_weights=15,
            expected_num_non_trainable_weights=8,
        )

    @parameterized.named_parameters(*CONFIGS)
    def test_matches_official_and_reparameterizes(self, h, w, kernels, reduction, groups, shape):
        height, width, channels = shape
        reference = repmlp_v1_torch.RepMLP(channels, height, width, h, w, kernels, reduction, groups).eval()
        block = RepMLPV1Block(h, w, reparam_conv_k=kernels, fc1_fc2_reduction=reduction, fc3_groups=groups)
        x = _inputs(shape)
        block(x)
        randomize_batch_norms(block)
        _load_reference(block, reference)
        with torch.no_grad():
            expected = reference(torch.from_numpy(np.transpose(x, (0, 3, 1, 2)))).numpy()
        expected = np.transpose(expected, (0, 2, 3, 1))
        self.assertAllClose(block(x, training=False), expected, atol=1e-5, rtol=1e-5)

        block.trainable = False
        block.reparameterize()
        self.assertFalse(any("bn" in v.path or "repconv" in v.path for v in block.weights))
        fused = keras.ops.convert_to_numpy(block(x))
        self.assertLessEqual(np.max(np.abs(fused - expected)) / np.max(np.abs(expected)), 1e-5)
        block.reparameterize()
        self.assertAllClose(block(x), fused, atol=0)


def _load_reference(block, reference):
    """Copies the Keras block's weights into the PyTorch reference."""
    def put(name, value):
        reference.state_dict()[name].copy_(torch.from_numpy(np.ascontiguousarray(value)))

    np_ = keras.ops.convert_to_numpy
    groups, features = block.fc3_kernel.shape[0], block.fc3_kernel.shape[1]
    put("fc3.weight", np.transpose(np_(block.fc3_kernel), (0, 2, 1)).reshape(groups * features, features, 1, 1))
    bns = [(block.fc3_bn, "fc3_bn")] + [
        (bn, f"repconv{k}.bn") for k, bn in zip(block.reparam_conv_k, block.local_bns)
    ]
    if block.has_global_perceptron:
        bns.append((block.avg_bn, "avg.bn"))
        for i, dense in ((1, block.gp_fc1), (2, block.gp_fc2)):
            put(f"fc1_fc2.fc{i}.weight", np_(dense.kernel).T)
            put(f"fc1_fc2.fc{i}.bias", np_(dense.bias))
    for bn, prefix in bns:
        put(f"{prefix}.weight", np_(bn.gamma))
        put(f"{prefix}.bias", np_(bn.beta))
        put(f"{prefix}.running_mean", np_(bn.moving_mean))
        put(f"{prefix}.running_var", np_(bn.moving_variance))
    for k, conv in zip(block.reparam_conv_k, block.local_convs):
        put(f"repconv{k}.conv.weight", np.transpose(np_(conv.kernel), (3, 2, 0, 1)))


if __name__ == "__main__":
    tf.test.main()
