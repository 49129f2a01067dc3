import json

import keras
import numpy as np
from keras_hub.layers import AnchorGenerator

from keras_mlp.layers import AnchorBoxDecoder
from tests.testing import TestCase

SIDE = 32


def anchor_generator(box_format="xyxy"):
    return AnchorGenerator(box_format, min_level=3, max_level=5, num_scales=1, aspect_ratios=[1.0], anchor_size=2)


class AnchorBoxDecoderTest(TestCase):
    def setUp(self):
        super().setUp()
        self.images = np.zeros((2, SIDE, SIDE, 3), "float32")
        generator = anchor_generator()
        self.anchors = np.concatenate([keras.ops.convert_to_numpy(a) for a in generator(self.images).values()])
        self.decoder = AnchorBoxDecoder(generator)

    def decode(self, deltas, logits):
        return keras.ops.convert_to_numpy(self.decoder(self.images, deltas, logits))

    def test_zero_deltas_give_the_anchors(self):
        count = len(self.anchors)
        logits = np.random.RandomState(0).normal(size=(2, count, 3)).astype("float32")
        out = self.decode(np.zeros((2, count, 4), "float32"), logits)
        self.assertEqual(out.shape, (2, count, 7))
        self.assertAllClose(out[0, :, :4], self.anchors)
        self.assertAllClose(out[..., 4:], 1 / (1 + np.exp(-logits)), atol=1e-6)

    def test_deltas_are_center_xywh(self):
        count = len(self.anchors)
        # x and y moved and scaled differently, so that deltas read in
        # another order (`center_yxhw`) give other boxes: the centre moves by
        # half the anchor's width right and a quarter of its height up, the
        # width doubles and the height halves.
        dx, dy, dw, dh = 0.5, -0.25, np.log(2.0), np.log(0.5)
        deltas = np.tile(np.array([dx, dy, dw, dh], "float32"), (2, count, 1))
        out = self.decode(deltas, np.zeros((2, count, 1), "float32"))
        x0, y0, x1, y1 = self.anchors.T
        width, height = x1 - x0, y1 - y0
        centre_x, centre_y = (x0 + x1) / 2 + dx * width, (y0 + y1) / 2 + dy * height
        half_width, half_height = width * np.exp(dw) / 2, height * np.exp(dh) / 2
        expected = np.stack(
            [centre_x - half_width, centre_y - half_height, centre_x + half_width, centre_y + half_height], -1
        )
        self.assertAllClose(out[1, :, :4], expected, atol=1e-4)

    def test_config_round_trip(self):
        config = json.loads(json.dumps(self.decoder.get_config()))
        clone = AnchorBoxDecoder.from_config(config)
        self.assertEqual(clone.anchor_generator.get_config(), self.decoder.anchor_generator.get_config())

    def test_anchors_of_another_format_are_refused(self):
        with self.assertRaisesRegex(ValueError, "`anchor_generator` must make 'xyxy' anchors"):
            AnchorBoxDecoder(anchor_generator("yxyx"))


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
