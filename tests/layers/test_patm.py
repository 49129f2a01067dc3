import torch

import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import PATM
from keras_mlp.weights.wavemlp_checkpoints import OFFICIAL_WAVEMLP
from tests.reference import torch_parity, wavemlp_official
from tests.testing import TestCase


def official_weights(module, prefix):
    """`module`'s state at `prefix` of the official layout, through its key table."""
    return OFFICIAL_WAVEMLP.convert({f"{prefix}.{k}": v.numpy() for k, v in module.state_dict().items()})


class PATMTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            PATM,
            {"mode": "depthwise"},
            input_shape=(2, 5, 3, 8),
            expected_output_shape=(2, 5, 3, 8),
            # fc_h/w/c 3, theta 2 + BN 2 x 2, tfc 2, reweight 4, proj 2.
            expected_num_trainable_weights=17,
            expected_num_non_trainable_weights=4,
        )

    @parameterized.parameters("fc", "depthwise")
    def test_matches_the_official_patm(self, mode):
        # Eq. 3-5 as the official code runs them, its grouped token FC over
        # [z cos, z sin] included, with random running statistics.
        official = torch_parity.randomized(wavemlp_official.PATM(8, mode=mode))
        for bn in (official.theta_h_conv[1], official.theta_w_conv[1]):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 1.5)
        # The layer as block 0's `attn`, to go through the official key table.
        converted, unknown = official_weights(official, "network.0.0.attn")
        self.assertEqual(unknown, [k for k in unknown if k.endswith("num_batches_tracked")])
        layer = PATM(mode, name="attn")
        x = np.random.RandomState(0).normal(size=(2, 9, 7, 8)).astype("float32")
        layer(x)
        for variable in layer.weights:
            variable.assign(converted[f"stage0_block_0/{variable.path}"])
        with torch.no_grad():
            expected = official(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        self.assertAllClose(layer(x, training=False), expected, atol=1e-4)

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "`mode`.*Received"):
            PATM(mode="conv")
