import unicodedata

import numpy as np

from keras_mlp.face import glyphs, identities
from tests.testing import TestCase

SMALL = dict(train_identities=40, unseen_identities=20, renderings=3, pairs=40)


class GlyphsTest(TestCase):
    def test_characters_are_distinct_printable_and_enough(self):
        characters = glyphs.characters()
        self.assertGreaterEqual(
            len(characters), identities.GLYPHS_TRAIN_IDENTITIES + identities.GLYPHS_UNSEEN_IDENTITIES
        )
        self.assertEqual(len(set(characters)), len(characters))
        self.assertTrue(all(unicodedata.category(c)[0] in "LNPS" for c in characters))
        # Latin A, Greek Alpha and Cyrillic A are drawn alike: only the first is an identity.
        self.assertIn("A", characters)
        self.assertNotIn("\u0391", characters)
        self.assertNotIn("\u0410", characters)

    def test_renderings_come_from_the_seed(self):
        first = glyphs.render(["a", "Z"], 3, 16, seed=5)
        self.assertEqual(first.images.shape, (6, 16, 16, 3))
        self.assertAllEqual(first.labels, [0, 0, 0, 1, 1, 1])
        self.assertEqual(first.images.dtype, np.uint8)
        self.assertAllEqual(first.images, glyphs.render(["a", "Z"], 3, 16, seed=5).images)
        self.assertNotAllEqual(first.images, glyphs.render(["a", "Z"], 3, 16, seed=6).images)
        # Ink on black, and the renderings of one character differ.
        self.assertTrue(all(image.max() > 128 and image.min() == 0 for image in first.images))
        self.assertNotAllEqual(first.images[0], first.images[1])

    def test_protocol_verifies_on_characters_never_trained_on(self):
        train, pairs = identities.glyphs_protocol(16, seed=3, **SMALL)
        self.assertEqual(train.num_identities, 40)
        self.assertEqual(train.epoch_images(0).shape, (120, 16, 16, 3))
        self.assertAllEqual(np.bincount(train.labels), [3] * 40)
        self.assertEqual(pairs.images.shape, (80, 16, 16, 3))
        self.assertEqual(pairs.issame.mean(), 0.5)
        self.assertEqual(pairs.name, "20 unseen characters")
        characters = glyphs.characters()
        order = np.random.RandomState(3).permutation(len(characters))
        self.assertEqual(train.names, tuple(characters[i] for i in order[:40]))
        unseen = glyphs.render([characters[i] for i in order[40:60]], 3, 16, seed=5)
        unseen_rows = {image.tobytes(): label for image, label in zip(unseen.images, unseen.labels)}
        labels = np.array([unseen_rows[image.tobytes()] for image in pairs.images])
        self.assertAllEqual(labels[0::2] == labels[1::2], pairs.issame)
        self.assertFalse(set(train.names) & {characters[i] for i in order[40:60]})

    def test_protocol_is_deterministic(self):
        train, pairs = identities.glyphs_protocol(8, seed=1, **SMALL)
        again, pairs_again = identities.glyphs_protocol(8, seed=1, **SMALL)
        self.assertAllEqual(train.epoch_images(2), again.epoch_images(2))
        self.assertAllEqual(pairs.images, pairs_again.images)
        self.assertAllEqual(pairs.issame, pairs_again.issame)
        other, _ = identities.glyphs_protocol(8, seed=2, **SMALL)
        self.assertNotEqual(train.names, other.names)

    def test_every_epoch_trains_on_fresh_renderings_of_the_same_characters(self):
        train, _ = identities.glyphs_protocol(16, seed=1, **SMALL)
        first, second = train.epoch_images(0), train.epoch_images(1)
        self.assertEqual(second.shape, first.shape)
        self.assertFalse(any(np.array_equal(a, b) for a, b in zip(first, second)))
        # Rendering i of epoch 1 is character labels[i] still: closer to another
        # rendering of it than to most other characters.
        flat = second.reshape(len(second), -1).astype("float32")
        distances = np.linalg.norm(flat[:, None] - first.reshape(len(first), -1)[None], axis=-1)
        same = train.labels[:, None] == train.labels[None]
        self.assertLess(np.mean(distances[same]), np.mean(distances[~same]))

    def test_asking_for_more_identities_than_the_fonts_draw_is_refused(self):
        message = r"distinct characters; 5000 training and 300 unseen identities need 5300"
        with self.assertRaisesRegex(ValueError, message):
            identities.glyphs_protocol(8, train_identities=5000)
