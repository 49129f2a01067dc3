import os

import numpy as np

from keras_mlp.face import identities
from keras_mlp.face.insightface_bin import write_bin
from tests.data.folders import write_png
from tests.testing import TestCase


def people(root, layout, size=(8, 8)):
    """`layout`: `{person: number of images}`, LFW names `<p>/<p>_0001.png`."""
    for person, count in layout.items():
        os.makedirs(os.path.join(root, person), exist_ok=True)
        for i in range(1, count + 1):
            write_png(os.path.join(root, person, f"{person}_{i:04d}.png"), 20 * i, size)
    return root


class IdentitiesTest(TestCase):
    def test_digits_protocol_verifies_on_unseen_digits(self):
        train, pairs = identities.digits_protocol(16)
        self.assertEqual(train.names, tuple("0123456"))
        self.assertEqual(train.images.shape[1:], (16, 16, 3))
        self.assertTrue(set(train.labels) <= set(range(7)))
        self.assertEqual(pairs.images.shape, (2 * identities.DIGITS_PAIRS, 16, 16, 3))
        self.assertEqual(pairs.issame.mean(), 0.5)
        # No training image among the verification images.
        train_rows = {image.tobytes() for image in train.images}
        self.assertLess(sum(image.tobytes() in train_rows for image in pairs.images), 5)

    def test_identity_folder(self):
        root = people(os.path.join(self.get_temp_dir(), "ids"), {"ann": 2, "bob": 3})
        faces = identities.identity_folder(root, 8)
        self.assertEqual(faces.names, ("ann", "bob"))
        self.assertAllEqual(faces.labels, [0, 0, 1, 1, 1])

    def test_an_identity_with_one_image_is_refused(self):
        root = people(os.path.join(self.get_temp_dir(), "ids"), {"ann": 2, "bob": 1})
        with self.assertRaisesRegex(ValueError, r"1 identity has a single image \(bob\)"):
            identities.identity_folder(root, 8)

    def test_an_image_of_another_size_is_refused(self):
        root = people(os.path.join(self.get_temp_dir(), "ids"), {"ann": 2, "bob": 2})
        write_png(os.path.join(root, "bob", "bob_0003.png"), 0, (8, 9))
        with self.assertRaisesRegex(ValueError, r"bob_0003.png is 9x8, not 8x8"):
            identities.identity_folder(root, 8)

    def test_lfw_pairs(self):
        root = people(os.path.join(self.get_temp_dir(), "lfw"), {"ann": 2, "bob": 1})
        pairs_file = os.path.join(root, "pairs.txt")
        with open(pairs_file, "w") as f:
            f.write("1\t2\nann\t1\t2\nann\t1\tbob\t1\n")
        pairs = identities.verification_set(pairs_file, 8)
        self.assertAllEqual(pairs.issame, [True, False])
        self.assertEqual(pairs.images.shape, (4, 8, 8, 3))
        self.assertAllEqual(pairs.images[:, 0, 0, 0], [20, 40, 20, 20])
        with self.assertRaisesRegex(ValueError, r"ann_0001.png is 8x8, not 112x112"):
            identities.verification_set(pairs_file, 112)

    def test_pairs_naming_missing_files_are_refused(self):
        root = people(os.path.join(self.get_temp_dir(), "lfw"), {"ann": 2})
        pairs_file = os.path.join(root, "pairs.txt")
        with open(pairs_file, "w") as f:
            f.write("ann\t1\t2\nann\t1\tcid\t4\n")
        with self.assertRaisesRegex(FileNotFoundError, r"pairs.txt, line 2 names .*cid_0004.jpg"):
            identities.verification_set(pairs_file, 8)
        with open(pairs_file, "w") as f:
            f.write("ann\t1\n")
        with self.assertRaisesRegex(ValueError, "line 1: expected 'name n1 n2'"):
            identities.verification_set(pairs_file, 8)

    def test_bin_images_of_another_size_are_refused(self):
        import tensorflow as tf

        path = os.path.join(self.get_temp_dir(), "lfw.bin")
        images = [tf.io.encode_png(np.zeros((8, 8, 3), "uint8")).numpy()] * 2
        write_bin(path, images, [True])
        self.assertEqual(identities.verification_set(path, 8).images.shape, (2, 8, 8, 3))
        with self.assertRaisesRegex(ValueError, r"lfw.bin, image 0 is 8x8, not 112x112"):
            identities.verification_set(path, 112)
        with self.assertRaisesRegex(FileNotFoundError, "Verification set not found"):
            identities.verification_set(path + ".missing", 8)
        write_bin(path, [images[0], b"not an image"], [True])
        with self.assertRaisesRegex(ValueError, r"lfw.bin, image 1 is not a readable image"):
            identities.verification_set(path, 8)
