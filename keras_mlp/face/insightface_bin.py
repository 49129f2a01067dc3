"""InsightFace's verification `.bin` files, read without running their code.

A `.bin` (lfw.bin, cfp_fp.bin, agedb_30.bin from the InsightFace dataset
releases) is a pickle of `(bins, issame_list)`: the encoded images of every
pair, two per pair, and one boolean per pair. A pickle can name any Python
callable to run while it loads, so `pickle.load` on a downloaded file runs
whatever its author chose. `SafeUnpickler` refuses every such name
(`find_class` admits nothing): only bytes, lists, tuples and booleans, which
pickle builds without naming a callable, can come out; the structure is then
checked before anything is decoded.
"""

import io
import pickle

import numpy as np


class BinFormatError(ValueError):
    """A `.bin` file that is not an InsightFace verification set."""


class _Refused(pickle.UnpicklingError):
    """The pickle asked for a callable."""


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data only and never calls anything.

    `find_class` is how a pickle names a callable (`os.system`, a class to
    instantiate, ...); refusing every name leaves only the opcodes that build
    bytes, strings, numbers, booleans, lists, tuples and dicts.
    """

    def find_class(self, module, name):
        raise _Refused(
            f"refused to load {module}.{name}: a verification .bin holds only bytes, "
            "lists, tuples and booleans, and this file asks to run code"
        )

    def persistent_load(self, pid):
        raise _Refused("refused a persistent id: not a verification .bin")


def read_bin(path):
    """`(encoded_images, issame)` of an InsightFace `.bin` file.

    Args:
        path: the `.bin` file.

    Returns:
        `encoded_images`: a list of `2 * pairs` encoded images (JPEG/PNG
        bytes), pair `i` being images `2i` and `2i + 1`; `issame`: a bool
        array of `pairs` entries.

    Raises:
        BinFormatError: the file asks to run code, is not a pickle, or is not
            `(list of bytes, list of bools)` with two images per pair.
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        # Python 2 pickles (the original releases) store the images as `str`.
        loaded = SafeUnpickler(io.BytesIO(data), encoding="bytes").load()
    except _Refused as e:
        raise BinFormatError(f"{path} was not loaded: {e}.") from None
    except Exception as e:  # a torn or foreign file fails in any of pickle's ways
        raise BinFormatError(f"{path} is not a pickled verification set ({type(e).__name__}: {e}).") from None
    return _checked(loaded, path)


def _checked(loaded, path):
    expected = "(list of encoded images as bytes, list of booleans), two images per boolean"
    if not isinstance(loaded, (tuple, list)) or len(loaded) != 2:
        raise BinFormatError(f"{path} holds a {type(loaded).__name__}, not {expected}.")
    images, issame = loaded
    if not isinstance(images, (list, tuple)) or not all(isinstance(b, bytes) for b in images):
        raise BinFormatError(f"{path}: the first element must be a list of bytes; expected {expected}.")
    if not isinstance(issame, (list, tuple)) or not all(isinstance(s, bool) for s in issame):
        raise BinFormatError(f"{path}: the second element must be a list of booleans; expected {expected}.")
    if not issame or len(images) != 2 * len(issame):
        raise BinFormatError(
            f"{path} has {len(images)} images for {len(issame)} pairs; expected {expected}."
        )
    return list(images), np.array(issame, dtype=bool)


def write_bin(path, encoded_images, issame):
    """Writes a verification set in InsightFace's `.bin` layout (for tests and
    for sets made here)."""
    with open(path, "wb") as f:
        pickle.dump((list(encoded_images), [bool(s) for s in issame]), f, protocol=4)
