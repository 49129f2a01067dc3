import keras_mlp
from keras_mlp.models.flops import count_flops
from tests.testing import TestCase


class FlopsTest(TestCase):
    def test_mixer_b16_matches_the_paper(self):
        # Paper / FACTS: 12.6 GMACs = 25.2 GFLOP of matmuls per 224x224 image;
        # LayerNorms, GELUs, biases and residuals add under 0.5%.
        flops = count_flops(keras_mlp.MixerB16())
        self.assertBetween(flops / 1e9, 25.2, 25.2 * 1.005)

    def test_scales_with_batch(self):
        model = keras_mlp.MixerT4()
        self.assertEqual(count_flops(model, batch_size=4), 4 * count_flops(model))
