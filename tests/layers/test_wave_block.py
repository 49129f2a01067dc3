import torch

import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import WaveBlock
from keras_mlp.weights.wavemlp_checkpoints import OFFICIAL_WAVEMLP
from tests.reference import torch_parity, wavemlp_official
from tests.testing import TestCase


class WaveBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            WaveBlock,
            {"mlp_ratio": 2, "mode": "fc", "norm": "group", "drop_path_rate": 0.1},
            input_shape=(2, 5, 3, 8),
            expected_output_shape=(2, 5, 3, 8),
            # 2 GroupNorms x 2, PATM 19, mlp 4.
            expected_num_trainable_weights=27,
            expected_num_non_trainable_weights=4,
        )

    @parameterized.parameters(("batch", torch.nn.BatchNorm2d), ("group", wavemlp_official.group_norm))
    def test_matches_the_official_block(self, norm, norm_layer):
        official = torch_parity.randomized(wavemlp_official.WaveBlock(8, 2, norm_layer, "fc"))
        state = {f"network.2.0.{k}": v.numpy() for k, v in official.state_dict().items()}
        converted, _ = OFFICIAL_WAVEMLP.convert(state)
        block = WaveBlock(mlp_ratio=2, norm=norm, name="stage1_block_0")
        x = np.random.RandomState(0).normal(size=(2, 6, 5, 8)).astype("float32")
        block(x)
        for variable in block.weights:
            variable.assign(converted[variable.path])
        with torch.no_grad():
            expected = official(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        self.assertAllClose(block(x, training=False), expected, atol=1e-4)

    @parameterized.parameters(({"norm": "layer"}, "norm"), ({"mode": "x"}, "mode"), ({"mlp_ratio": -1}, "mlp_ratio"))
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            WaveBlock(**kwargs)
