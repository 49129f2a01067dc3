import torch  # noqa: F401  (before TensorFlow, see tests/conftest.py)

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

from keras_mlp.layers import RepMLPBlock
from tests import repmlpnet_torch, testing
from keras_mlp.models.reparameterize import randomize_batch_norms

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity

# (h, w, sharesets, kernels, input (H, W, C)): one partition, several, non-square,
# one share-set per channel, no Local Perceptron, the v1 kernel set.
CONFIGS = (
    ("one_partition", 4, 4, 1, (1, 3), (4, 4, 8)),
    ("grid", 4, 4, 2, (1, 3), (8, 12, 8)),
    ("non_square", 2, 3, 4, (1, 3, 5), (4, 6, 8)),
    ("depthwise_sets", 3, 3, 8, (1, 3), (6, 6, 8)),
    ("no_local", 4, 4, 2, (), (8, 8, 8)),
    ("v1_kernels", 5, 5, 1, (1, 3, 5, 7), (10, 5, 4)),
)


def _inputs(shape, batch=3):
    return np.random.default_rng(1).normal(size=(batch, *shape)).astype("float32")


def _relative_error(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


class RepMLPBlockTest(testing.TestCase, parameterized.TestCase):
    def test_layer_train_form(self):
        self.run_layer_test(
            RepMLPBlock,
            dict(h=4, w=4, num_sharesets=2, reparam_conv_k=(1, 3)),
            input_shape=(2, 8, 8, 8),
            expected_output_shape=(2, 8, 8, 8),
            # fc3 kernel, gp 2x(kernel, bias), fc3_bn and 2 branch BNs' gamma/beta, 2 convs.
            expected_num_trainable_weights=13,
            expected_num_non_trainable_weights=6,
        )

    def test_layer_deploy_form(self):
        self.run_layer_test(
            RepMLPBlock,
            dict(h=4, w=4, num_sharesets=2, deploy=True),
            input_shape=(2, 8, 8, 8),
            expected_output_shape=(2, 8, 8, 8),
            expected_num_trainable_weights=6,
        )

    @parameterized.named_parameters(*CONFIGS)
    def test_reparameterize_keeps_outputs(self, h, w, sets, kernels, shape):
        block = RepMLPBlock(h, w, num_sharesets=sets, reparam_conv_k=kernels, globalperceptron_reduce=2)
        x = _inputs(shape)
        block(x)
        randomize_batch_norms(block)
        expected = keras.ops.convert_to_numpy(block(x, training=False))
        block.trainable = False
        block.reparameterize()
        self.assertTrue(block.deploy)
        self.assertFalse(any("bn" in v.path or "repconv" in v.path for v in block.weights))
        self.assertLessEqual(_relative_error(keras.ops.convert_to_numpy(block(x)), expected), 1e-5)

    @parameterized.named_parameters(*CONFIGS)
    def test_matches_official_block(self, h, w, sets, kernels, shape):
        """Same outputs as the official PyTorch block, in both forms."""
        height, width, channels = shape
        reference = repmlpnet_torch.RepMLPBlock(channels, h, w, kernels, 2, sets).eval()
        repmlpnet_torch.randomize_batch_norms(reference)
        block = RepMLPBlock(h, w, num_sharesets=sets, reparam_conv_k=kernels, globalperceptron_reduce=2)
        x = _inputs(shape)
        block(x)
        _load_reference_block(block, reference)
        torch_x = torch.from_numpy(np.transpose(x, (0, 3, 1, 2)))
        with torch.no_grad():
            expected = np.transpose(reference(torch_x).numpy(), (0, 2, 3, 1))
        self.assertAllClose(block(x, training=False), expected, atol=1e-5, rtol=1e-5)

        reference.local_inject()
        with torch.no_grad():
            expected = np.transpose(reference(torch_x).numpy(), (0, 2, 3, 1))
        block.trainable = False
        block.reparameterize()
        fc3 = reference.fc3.weight.detach().numpy()[:, :, 0, 0]
        pixels = h * w
        self.assertAllClose(
            block.fc3_kernel,
            np.transpose(fc3.reshape(sets, pixels, pixels), (0, 2, 1)),
            atol=1e-6,
        )
        self.assertAllClose(block(x), expected, atol=1e-5, rtol=1e-5)

    def test_reparameterize_twice_is_a_no_op(self):
        block = RepMLPBlock(4, 4, num_sharesets=2)
        x = _inputs((8, 8, 8))
        block(x)
        randomize_batch_norms(block)
        block.trainable = False
        block.reparameterize()
        variables = list(block.weights)
        values = [keras.ops.convert_to_numpy(v) for v in variables]
        block.reparameterize()
        self.assertEqual([id(v) for v in block.weights], [id(v) for v in variables])
        for variable, value in zip(block.weights, values):
            self.assertAllEqual(variable, value)

    def test_reparameterize_refuses_a_block_being_trained(self):
        inputs = keras.Input((8, 8, 8))
        block = RepMLPBlock(4, 4, num_sharesets=2)
        model = keras.Model(inputs, block(inputs))
        model.compile("sgd", "mse")

        class FuseDuringTraining(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                block.reparameterize()

        x = _inputs((8, 8, 8), batch=4)
        with self.assertRaisesRegex(RuntimeError, "trainable"):
            model.fit(x, x, epochs=1, verbose=0, callbacks=[FuseDuringTraining()])
        self.assertFalse(block.deploy)
        self.assertLen(block.weights, 19)

    def test_reparameterize_needs_a_built_block(self):
        block = RepMLPBlock(4, 4)
        block.trainable = False
        with self.assertRaisesRegex(ValueError, "not built"):
            block.reparameterize()

    @parameterized.named_parameters(
        ("h", dict(h=0, w=4), "`h`"),
        ("sharesets", dict(h=4, w=4, num_sharesets=-1), "`num_sharesets`"),
        ("even_kernel", dict(h=4, w=4, reparam_conv_k=(1, 2)), "`reparam_conv_k`"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            RepMLPBlock(**kwargs)

    @parameterized.named_parameters(
        ("not_divisible", (2, 9, 8, 8), "multiples of the partition size"),
        ("sharesets", (2, 8, 8, 6), "`num_sharesets` must divide"),
        ("unknown_size", (2, None, 8, 8), "known input height"),
    )
    def test_invalid_inputs(self, shape, message):
        block = RepMLPBlock(4, 4, num_sharesets=4, globalperceptron_reduce=2)
        with self.assertRaisesRegex(ValueError, message):
            block.build(shape)

    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_reparameterize_on_backend(self, backend):
        output = testing.run_on_backend(
            backend,
            """
            import keras, numpy as np
            from keras_mlp.layers import RepMLPBlock
            from keras_mlp.models.reparameterize import randomize_batch_norms
            block = RepMLPBlock(4, 4, num_sharesets=2, reparam_conv_k=(1, 3, 5))
            x = np.random.default_rng(0).normal(size=(2, 8, 12, 8)).astype("float32")
            block(x)
            randomize_batch_norms(block)
            before = keras.ops.convert_to_numpy(block(x, training=False))
            block.trainable = False
            block.reparameterize()
            after = keras.ops.convert_to_numpy(block(x))
            print(np.max(np.abs(after - before)) / np.max(np.abs(before)))
            """,
        )
        self.assertLessEqual(float(output.split()[-1]), 1e-5)


def _load_reference_block(block, reference):
    state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
    pixels = block.h * block.w
    sets = block.num_sharesets
    block.fc3_kernel.assign(
        np.transpose(state["fc3.weight"][:, :, 0, 0].reshape(sets, pixels, pixels), (0, 2, 1))
    )
    for i, dense in ((1, block.gp_fc1), (2, block.gp_fc2)):
        dense.kernel.assign(state[f"gp.fc{i}.weight"][:, :, 0, 0].T)
        dense.bias.assign(state[f"gp.fc{i}.bias"])
    bns = [(block.fc3_bn, "fc3_bn")] + [
        (bn, f"repconv{k}.bn") for k, bn in zip(block.reparam_conv_k, block.local_bns)
    ]
    for bn, prefix in bns:
        bn.gamma.assign(state[f"{prefix}.weight"])
        bn.beta.assign(state[f"{prefix}.bias"])
        bn.moving_mean.assign(state[f"{prefix}.running_mean"])
        bn.moving_variance.assign(state[f"{prefix}.running_var"])
    for k, conv in zip(block.reparam_conv_k, block.local_convs):
        conv.kernel.assign(np.transpose(state[f"repconv{k}.conv.weight"], (2, 3, 0, 1)))


if __name__ == "__main__":
    tf.test.main()
