import torch

import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import CycleMLPBlock
from keras_mlp.weights.cyclemlp_checkpoints import OFFICIAL_CYCLEMLP
from tests.reference import cyclemlp_official, torch_parity
from tests.testing import TestCase


class CycleMLPBlockTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            CycleMLPBlock,
            {"mlp_ratio": 2, "drop_path_rate": 0.1},
            input_shape=(2, 5, 3, 8),
            expected_output_shape=(2, 5, 3, 8),
            # 2 LayerNorms x 2, sfc_h 2, sfc_w 2, mlp_c 1, reweight 4, proj 2, mlp 4.
            expected_num_trainable_weights=19,
        )

    def test_matches_the_official_block(self):
        official = torch_parity.randomized(cyclemlp_official.CycleBlock(8, mlp_ratio=2))
        # The official key table, for one block of stage 0.
        state = {f"network.0.0.{k}": v.numpy() for k, v in official.state_dict().items()}
        converted, unknown = OFFICIAL_CYCLEMLP.convert(state)
        self.assertEmpty(unknown)
        block = CycleMLPBlock(mlp_ratio=2, name="stage0_block_0")
        x = np.random.RandomState(0).normal(size=(2, 5, 7, 8)).astype("float32")
        block(x)
        for variable in block.weights:
            variable.assign(converted[variable.path])
        with torch.no_grad():
            expected = official(torch.from_numpy(x)).numpy()
        self.assertAllClose(block(x), expected, atol=1e-4)

    @parameterized.parameters(({"mlp_ratio": 0}, "mlp_ratio"), ({"drop_path_rate": 1.0}, "drop_path_rate"))
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}`.*Received"):
            CycleMLPBlock(**kwargs)
