import os
import pickle

import numpy as np
import tensorflow as tf

from keras_mlp.face.insightface_bin import BinFormatError, read_bin, write_bin
from tests.testing import TestCase


class _Payload:
    """What a crafted .bin carries: unpickling it calls os.mkdir (a side
    effect that needs no shell, so the check cannot miss it)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _png(value):
    return tf.io.encode_png(np.full((4, 4, 3), value, "uint8")).numpy()


def plain_pickle_reader(path):
    """The reader the project refuses to be: `pickle.load` as InsightFace calls it."""
    with open(path, "rb") as f:
        return pickle.load(f, encoding="bytes")


class InsightFaceBinTest(TestCase):
    def check_refuses_malicious_file(self, reader):
        """Fails unless `reader` refuses a .bin that runs a command, without running it."""
        marker = os.path.join(self.get_temp_dir(), "pwned")
        path = os.path.join(self.get_temp_dir(), "lfw.bin")
        with open(path, "wb") as f:
            pickle.dump(([_png(0), _Payload(marker)], [True]), f)
        raised = None
        try:
            reader(path)
        except BinFormatError as e:
            raised = e
        self.assertFalse(os.path.exists(marker), "loading the file ran its command")
        self.assertIsNotNone(raised, "the malicious file was loaded")
        self.assertIn("refused to load posix.mkdir", str(raised))

    def test_a_crafted_file_runs_no_code(self):
        self.check_refuses_malicious_file(read_bin)

    def test_the_same_check_fails_on_a_plain_pickle_reader(self):
        # pickle.load runs os.mkdir and creates the marker: the check above
        # can fail, and does for the reader InsightFace's own code uses.
        with self.assertRaisesRegex(AssertionError, "loading the file ran its command"):
            self.check_refuses_malicious_file(plain_pickle_reader)

    def test_round_trip(self):
        path = os.path.join(self.get_temp_dir(), "set.bin")
        images = [_png(i) for i in range(4)]
        write_bin(path, images, [True, False])
        read, issame = read_bin(path)
        self.assertEqual(read, images)
        self.assertAllEqual(issame, [True, False])

    def test_other_structures_are_refused(self):
        path = os.path.join(self.get_temp_dir(), "bad.bin")
        cases = {
            "holds a dict": {"bins": []},
            "first element must be a list of bytes": (["not bytes", "x"], [True]),
            "second element must be a list of booleans": ([b"a", b"b"], [1]),
            "has 3 images for 1 pairs": ([b"a", b"b", b"c"], [True]),
        }
        for message, value in cases.items():
            with open(path, "wb") as f:
                pickle.dump(value, f)
            with self.assertRaisesRegex(BinFormatError, message):
                read_bin(path)
        with open(path, "wb") as f:
            f.write(b"\x89PNG not a pickle")
        with self.assertRaisesRegex(BinFormatError, "not a pickled verification set"):
            read_bin(path)
