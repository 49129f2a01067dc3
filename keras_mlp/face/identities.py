"""Face data: identities to train on and pairs to verify, checked before training.

Training data is one folder per person (the layout of extracted
MS1M / CASIA-WebFace): `<root>/<identity>/<image files>`, every image the
same aligned size. Verification sets are pairs of faces, the same person or
not: an LFW-style `pairs.txt` over a folder, an InsightFace `.bin` file, or
the embedded digits protocol.

Two embedded protocols verify on identities the model never saw, the
open-set setting face recognition is judged in (the people at test time are
not the people trained on). The default, `glyphs`, has as many identities as
face recognition needs to generalise: printed characters of matplotlib's
fonts (`keras_mlp.face.glyphs`), training on 1,200 of them and verifying on
pairs of 300 others. `digits` uses scikit-learn's handwritten digits,
training on 0-6 and verifying on 7-9: too few identities to learn an
embedding that beats raw pixels on the unseen ones.
"""

import dataclasses
import functools
import os
from collections.abc import Callable

import numpy as np

from keras_mlp.data import folder
from keras_mlp.face import glyphs
from keras_mlp.face.insightface_bin import read_bin

DIGITS_TRAIN_IDENTITIES = tuple(range(7))
DIGITS_UNSEEN_IDENTITIES = (7, 8, 9)
DIGITS_PAIRS = 600
GLYPHS_TRAIN_IDENTITIES = 1200
GLYPHS_UNSEEN_IDENTITIES = 300
GLYPHS_RENDERINGS = 8
GLYPHS_PAIRS = 3000
EMBEDDED_PROTOCOLS = ("glyphs", "digits")


@dataclasses.dataclass(frozen=True)
class Identities:
    """Training faces and their `labels`: `images` (a `uint8` array), `paths`,
    or `render`, which returns the `uint8` images of a training epoch given its
    number (the glyphs protocol draws fresh renderings of the same labels for
    every epoch)."""

    names: tuple
    labels: np.ndarray
    images: np.ndarray | None = None
    paths: tuple | None = None
    render: Callable[[int], np.ndarray] | None = None

    @property
    def num_identities(self):
        return len(self.names)

    def __len__(self):
        return len(self.labels)

    def epoch_images(self, epoch):
        """The images of training epoch `epoch`: `images`, or the epoch's renderings."""
        return self.images if self.render is None else self.render(epoch)


@dataclasses.dataclass(frozen=True)
class VerificationSet:
    """Pairs of faces: `images[2i]` and `images[2i + 1]` are pair `i`,
    `issame[i]` whether they are one person. `images` is `uint8`."""

    name: str
    images: np.ndarray
    issame: np.ndarray


def digits_protocol(image_size, seed=0):
    """`(Identities, VerificationSet)` of the embedded open-set protocol.

    The digits are upscaled from 8x8 to `image_size` once, here; pairs are
    half same-identity, half different, drawn with `seed`.
    """
    import tensorflow as tf
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype("uint8")[..., None].repeat(3, axis=-1)
    images = tf.image.resize(images, (image_size, image_size), "bilinear").numpy().round().astype("uint8")
    labels = digits.target
    seen = np.isin(labels, DIGITS_TRAIN_IDENTITIES)
    train = Identities(tuple(str(i) for i in DIGITS_TRAIN_IDENTITIES), labels[seen].astype("int32"), images[seen])
    pairs = _pairs("digits 7-9 (unseen)", images[~seen], labels[~seen], DIGITS_PAIRS, seed)
    return train, pairs


def glyphs_protocol(
    image_size,
    seed=0,
    train_identities=GLYPHS_TRAIN_IDENTITIES,
    unseen_identities=GLYPHS_UNSEEN_IDENTITIES,
    renderings=GLYPHS_RENDERINGS,
    pairs=GLYPHS_PAIRS,
):
    """`(Identities, VerificationSet)` of printed characters (`keras_mlp.face.glyphs`).

    `seed` picks which characters train and which are unseen, every
    rendering's font, size, rotation and shift, and the pairs. By default
    1,200 characters train, on 8 renderings of each that are drawn afresh
    for every epoch (from `seed` and the epoch: a resumed run trains on the
    images an uninterrupted one would), and 300 others are verified, on 8
    fixed renderings of each, in 3,000 pairs, half of one character.

    Example:

    ```python
    train, pairs = glyphs_protocol(32)
    train.num_identities, len(pairs.issame)  # (1200, 3000)
    train.epoch_images(0).shape  # (9600, 32, 32, 3)
    ```
    """
    characters = glyphs.characters()
    needed = train_identities + unseen_identities
    if len(characters) < needed:
        raise ValueError(
            f"matplotlib's fonts draw {len(characters)} distinct characters; {train_identities} "
            f"training and {unseen_identities} unseen identities need {needed}. Ask for fewer."
        )
    order = np.random.RandomState(seed).permutation(len(characters))
    seen = tuple(characters[i] for i in order[:train_identities])
    unseen = glyphs.render([characters[i] for i in order[train_identities:needed]], renderings, image_size, seed + 2)
    train = Identities(
        seen, glyphs.rendering_labels(len(seen), renderings),
        render=functools.partial(_epoch_renderings, seen, renderings, image_size, seed),
    )
    return train, _pairs(f"{unseen_identities} unseen characters", unseen.images, unseen.labels, pairs, seed)


def _epoch_renderings(characters, renderings, image_size, seed, epoch):
    """Epoch `epoch`'s renderings of the training `characters`, drawn from `(seed + 1, epoch)`.

    Eight fixed renderings per character were learned by heart: the training
    loss kept falling while the unseen characters levelled off from epoch 4.
    """
    return glyphs.render(characters, renderings, image_size, (seed + 1, int(epoch))).images


def embedded_protocol(name, image_size, seed=0):
    """The `(Identities, VerificationSet)` of protocol `name` in `EMBEDDED_PROTOCOLS`."""
    return {"glyphs": glyphs_protocol, "digits": digits_protocol}[name](image_size, seed)


def _pairs(name, images, labels, count, seed):
    """`count` pairs of `images`, alternately of one label and of two, drawn with `seed`."""
    rng = np.random.RandomState(seed)
    first, second, issame = [], [], []
    for i in range(count):
        same = i % 2 == 0
        a = rng.randint(len(labels))
        candidates = np.flatnonzero((labels == labels[a]) == same)
        candidates = candidates[candidates != a]
        first.append(a)
        second.append(rng.choice(candidates))
        issame.append(same)
    pairs = np.stack([first, second], axis=1).reshape(-1)
    return VerificationSet(name, images[pairs], np.array(issame))


def identity_folder(root, image_size):
    """`Identities` of `<root>/<identity>/<images>`, every file checked first.

    Raises naming the first problem: a folder with one image (no pair of the
    same person can be learned from it), an unreadable file, or an image
    that is not `image_size` x `image_size` (faces must be aligned crops of
    the model's input size).
    """
    paths, labels, names, _ = folder.list_image_folder(root)
    counts = np.bincount(labels, minlength=len(names))
    single = [names[i] for i in np.flatnonzero(counts < 2)]
    if single:
        raise ValueError(
            f"{root!r}: {len(single)} identit{'y has' if len(single) == 1 else 'ies have'} a single "
            f"image ({', '.join(single[:5])}{', ...' if len(single) > 5 else ''}). Every identity "
            "needs at least two images; remove those folders or add images."
        )
    for path in paths:
        check_size(path, image_size)
    return Identities(tuple(names), np.array(labels, "int32"), paths=tuple(paths))


def check_size(path, image_size):
    """Raises unless the image file at `path` is `image_size` square (reads its header only)."""
    from PIL import Image

    with Image.open(path) as image:
        size = image.size
    if size != (image_size, image_size):
        raise ValueError(
            f"{path} is {size[0]}x{size[1]}, not {image_size}x{image_size}: face images must be "
            f"aligned crops of the model's input size. Align/resize them, or pass --image_size={size[0]} "
            "if all images have that size."
        )


def lfw_pairs(pairs_file, images_dir=None, image_size=112):
    """The `VerificationSet` of an LFW-style `pairs.txt`.

    Lines are `name n1 n2` (the same person) or `name1 n1 name2 n2`
    (different people), naming `<images_dir>/<name>/<name>_<nnnn>.<ext>`; a
    first line of one or two numbers (folds, pairs per fold) is skipped.
    `images_dir` defaults to the folder of `pairs_file`. Every file is
    checked before anything is decoded.
    """
    images_dir = images_dir or os.path.dirname(os.path.abspath(pairs_file))
    with open(pairs_file, encoding="utf-8") as f:
        lines = [(number, line.split()) for number, line in enumerate(f, 1) if line.strip()]
    if lines and len(lines[0][1]) <= 2 and all(w.isdigit() for w in lines[0][1]):
        lines = lines[1:]
    files, issame = [], []
    for number, words in lines:
        if len(words) == 3:
            pair = [(words[0], words[1]), (words[0], words[2])]
        elif len(words) == 4:
            pair = [(words[0], words[1]), (words[2], words[3])]
        else:
            raise ValueError(
                f"{pairs_file}, line {number}: expected 'name n1 n2' or 'name1 n1 name2 n2', "
                f"got {' '.join(words)!r}."
            )
        for name, index in pair:
            files.append(_lfw_file(pairs_file, number, images_dir, name, index))
        issame.append(len(words) == 3)
    if not issame:
        raise ValueError(f"{pairs_file} names no pairs.")
    for path in files:
        check_size(path, image_size)
    images = np.stack([decode(open(path, "rb").read(), path) for path in files])
    return VerificationSet(os.path.basename(pairs_file), images, np.array(issame))


def _lfw_file(pairs_file, number, images_dir, name, index):
    if not index.isdigit():
        raise ValueError(f"{pairs_file}, line {number}: image number {index!r} is not a number.")
    stem = os.path.join(images_dir, name, f"{name}_{int(index):04d}")
    for extension in folder.IMAGE_EXTENSIONS:
        if os.path.isfile(stem + extension):
            return stem + extension
    raise FileNotFoundError(
        f"{pairs_file}, line {number} names {stem}.jpg (or .png, ...), which does not exist. "
        f"Pass the folder that holds <name>/<name>_<nnnn>.jpg as --verification_images."
    )


def bin_pairs(path, image_size):
    """The `VerificationSet` of an InsightFace `.bin` file (see `insightface_bin`)."""
    encoded, issame = read_bin(path)
    images = [decode(data, f"{path}, image {i}") for i, data in enumerate(encoded)]
    for i, image in enumerate(images):
        if image.shape[:2] != (image_size, image_size):
            raise ValueError(
                f"{path}, image {i} is {image.shape[1]}x{image.shape[0]}, not {image_size}x{image_size}: "
                f"pass --image_size={image.shape[0]} (InsightFace's sets are 112x112)."
            )
    return VerificationSet(os.path.basename(path), np.stack(images), issame)


def verification_set(source, image_size, images_dir=None):
    """A `.bin` file or a `pairs.txt`, by its extension."""
    if not os.path.isfile(source):
        raise FileNotFoundError(f"Verification set not found: {source!r} (a .bin file or a pairs.txt).")
    if source.endswith(".bin"):
        return bin_pairs(source, image_size)
    return lfw_pairs(source, images_dir, image_size)


def decode(data, where):
    """`uint8` RGB array of encoded image `data`; `where` names it in the error."""
    import tensorflow as tf

    try:
        return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()
    except tf.errors.InvalidArgumentError:
        raise ValueError(f"{where} is not a readable image (JPEG, PNG, BMP or GIF).") from None
