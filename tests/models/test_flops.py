import keras
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models import factory
from keras_mlp.models.flops import count_flops, count_macs
from tests.testing import TestCase


def mixer_macs(image, patch, hidden, blocks, tokens_mlp, channels_mlp, classes):
    """The MLP-Mixer matmuls written out (arXiv 2105.01601, Section 2)."""
    patches = (image // patch) ** 2
    stem = patches * patch * patch * 3 * hidden
    token_mixing = hidden * 2 * patches * tokens_mlp
    channel_mixing = patches * 2 * hidden * channels_mlp
    return stem + blocks * (token_mixing + channel_mixing) + hidden * classes


def resmlp_macs(image, patch, hidden, blocks, classes):
    """The ResMLP matmuls (arXiv 2105.03404, Section 2): a patches x patches
    linear layer per channel and a 4x channel MLP per patch."""
    patches = (image // patch) ** 2
    stem = patches * patch * patch * 3 * hidden
    block = hidden * patches * patches + patches * 2 * hidden * 4 * hidden
    return stem + blocks * block + hidden * classes


def gmlp_macs(image, patch, hidden, blocks, classes):
    """The gMLP matmuls (arXiv 2105.08050, Figure 1): channel projections to
    6x and back from 3x, a patches x patches projection of the 3x half."""
    patches = (image // patch) ** 2
    stem = patches * patch * patch * 3 * hidden
    block = patches * hidden * 6 * hidden + 3 * hidden * patches * patches + patches * 3 * hidden * hidden
    return stem + blocks * block + hidden * classes


# Exact counts where the matmuls are written out above (or pinned).
EXACT_MACS = {
    "mixer_b16": mixer_macs(224, 16, 768, 12, 384, 3072, 1000),
    "resmlp_s12": resmlp_macs(224, 16, 384, 12, 1000),
    "resmlp_b24": resmlp_macs(224, 8, 768, 24, 1000),
    "gmlp_s16": gmlp_macs(224, 16, 256, 30, 1000),
    "cyclemlp_b1": 2_121_523_200,
    "wavemlp_t": 2_461_515_776,
}


def _reference_cases(default_suite):
    """`(name, paper GMACs)` the families declare: each family's cheapest in
    the default suite, the others under -m slow."""
    cases = []
    for family in factory.families():
        cheapest = min(family.reference_gmacs, key=family.reference_gmacs.get, default=None)
        cases += [(n, g) for n, g in family.reference_gmacs.items() if (n == cheapest) == default_suite]
    return cases


class FlopsTest(TestCase, parameterized.TestCase):
    def test_mixer_b16_is_25_2_gflops(self):
        self.assertEqual(round(count_flops(keras_mlp.MixerB16()) / 1e9, 1), 25.2)

    # The papers' "FLOPs" are multiply-adds at the default input size;
    # `count_macs` leaves out norms, softmax and the shift masks: within 3%.
    @parameterized.parameters(*_reference_cases(default_suite=True))
    def test_families_match_their_papers(self, name, paper_gmacs):
        self.check_reference(name, paper_gmacs)

    @parameterized.parameters(*_reference_cases(default_suite=False))
    @pytest.mark.slow
    def test_larger_models_match_their_papers(self, name, paper_gmacs):
        self.check_reference(name, paper_gmacs)

    def check_reference(self, name, paper_gmacs):
        macs = count_macs(keras_mlp.create_model(name))
        if name in EXACT_MACS:
            self.assertEqual(macs, EXACT_MACS[name])
        self.assertAllClose(macs / 1e9, paper_gmacs, rtol=0.03)

    def test_mixer_s16_at_another_resolution(self):
        model = keras_mlp.MixerS16(input_shape=(128, 128, 3), include_top=False)
        self.assertEqual(count_macs(model), mixer_macs(128, 16, 512, 8, 256, 2048, 0))

    @parameterized.parameters(
        # Regular, grouped and strided convolutions: output positions x kernel x in/groups x out.
        (keras.layers.Conv2D(8, 3, padding="same"), (6, 6, 4), 36 * 9 * 4 * 8),
        (keras.layers.Conv2D(8, 3, groups=2), (6, 6, 4), 16 * 9 * 2 * 8),
        (keras.layers.Conv2D(8, 2, strides=2), (6, 6, 4), 9 * 4 * 4 * 8),
        (keras.layers.Conv1D(5, 3), (10, 2), 8 * 3 * 2 * 5),
        (keras.layers.DepthwiseConv2D(3, depth_multiplier=2), (5, 5, 4), 9 * 8 * 9),
        (keras.layers.Dense(7), (3, 5), 3 * 5 * 7),
        (keras.layers.EinsumDense("abc,cd->abd", (3, 7)), (3, 5), 3 * 5 * 7),
        (keras.layers.EinsumDense("...c,cde->...de", (4, 6)), (2, 3, 5), 2 * 3 * 5 * 4 * 6),
    )
    def test_layer_counts(self, layer, input_shape, expected):
        inputs = keras.Input(input_shape)
        model = keras.Model(inputs, layer(inputs))
        self.assertEqual(count_macs(model), expected)

    def test_nested_layers_are_counted(self):
        inputs = keras.Input((4, 6))
        block = keras_mlp.layers.MLPMixerBlock(tokens_mlp_dim=3, channels_mlp_dim=5)
        model = keras.Model(inputs, block(inputs))
        self.assertEqual(count_macs(model), 6 * 2 * 4 * 3 + 4 * 2 * 6 * 5)

    def test_unknown_shape_is_refused(self):
        inputs = keras.Input((None, 6))
        model = keras.Model(inputs, keras.layers.Dense(3, name="fc")(inputs))
        with self.assertRaisesRegex(ValueError, "'fc'.*unknown non-batch"):
            count_macs(model)

    def test_repmlp_blocks_count_their_own_matmuls_and_convs(self):
        # RepMLPNet block on 14x14x8, 7x7 partitions, local kernels 1 and 3, gp 8 -> 2 -> 8.
        fc3, local, gp = 14 * 14 * 8 * 49, 14 * 14 * 8 * (1 + 9), 2 * 8 * 2
        block = keras_mlp.layers.RepMLPBlock(h=7, w=7, num_sharesets=2, globalperceptron_reduce=4)
        self.assertEqual(self._block_macs(block, (14, 14, 8)), fc3 + local + gp)
        deploy = keras_mlp.layers.RepMLPBlock(
            h=7, w=7, num_sharesets=2, globalperceptron_reduce=4, deploy=True
        )
        self.assertEqual(self._block_macs(deploy, (14, 14, 8)), fc3 + gp)
        # v1 block: FC3 and local convs mix the 8/2 channels of a group; gp over 8 * 2 * 2.
        v1 = keras_mlp.layers.RepMLPV1Block(h=7, w=7, fc3_groups=2, reparam_conv_k=(3,))
        fc3, local, gp = 14 * 14 * 8 * 4 * 49, 14 * 14 * 8 * 4 * 9, 2 * 32 * 32
        self.assertEqual(self._block_macs(v1, (14, 14, 8)), fc3 + local + gp)

    def _block_macs(self, block, input_shape):
        inputs = keras.Input(input_shape)
        return count_macs(keras.Model(inputs, block(inputs)))

    def test_self_attention_counts_its_token_products(self):
        # 5 tokens of 8 channels: qkv 5*8*24, proj 5*8*8, q k^T and attn v 2 * 5*5*8.
        inputs = keras.Input((5, 8))
        layer = keras_mlp.layers.MultiHeadSelfAttention(num_heads=2)
        model = keras.Model(inputs, layer(inputs))
        self.assertEqual(count_macs(model), 5 * 8 * 24 + 5 * 8 * 8 + 2 * 5 * 5 * 8)
