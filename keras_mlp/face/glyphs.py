"""Many identities offline: printed characters in the fonts matplotlib ships.

Face recognition learns an embedding that generalises to people it never
saw because it trains on thousands of them (MS1M-V2: 85,742). Ten digits
cannot teach that; the characters that matplotlib's DejaVu fonts share can.
Each character is an identity, as each person is in MS1M, and its renderings
in other typefaces, weights, slants, sizes, rotations and shifts are its
images, as a person's photos are (the Omniglot benchmark of few-shot
learning is built the same way from handwriting).

The fonts are the twelve DejaVu Sans, Serif and Sans Mono files (regular,
bold, oblique/italic, bold oblique/italic) in `matplotlib.get_data_path()`;
the characters are the letters, digits, punctuation and symbols all twelve
draw. Characters that render alike (Latin A, Greek Alpha, Cyrillic A) are
one identity, the first in code-point order kept: two identities with one
face would make impostor pairs no embedding can tell apart. Everything is
drawn from a seed, so a seed always gives the same images.
"""

import dataclasses
import functools
import os
import unicodedata

import numpy as np

FONT_FILES = tuple(
    f"DejaVu{family}{style}.ttf"
    for family, styles in (
        ("Sans", ("", "-Bold", "-Oblique", "-BoldOblique")),
        ("Serif", ("", "-Bold", "-Italic", "-BoldItalic")),
        ("SansMono", ("", "-Bold", "-Oblique", "-BoldOblique")),
    )
    for style in styles
)
REGULAR_FILES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
# Two characters look alike when their regular renderings at 16x16 differ by
# less than this root mean square (of 255): Latin and Cyrillic A (7.5 in
# DejaVu Serif, 0 in Sans), Greek letters that differ by a breathing mark;
# O and Q differ by 51, l and I by 24.
LOOKALIKE_SIZE = 16
LOOKALIKE_RMS = 8.0
# Letters, numbers, punctuation, symbols: no marks, spaces or controls,
# which draw nothing or only a diacritic's dot.
CATEGORIES = ("L", "N", "P", "S")
# How much the renderings of one character vary: font size as a share of
# the image, rotation in degrees, shift of the centre as a share of the image.
HEIGHT_RANGE = (0.5, 0.8)
MAX_ROTATION = 15.0
MAX_SHIFT = 0.1


@dataclasses.dataclass(frozen=True)
class GlyphImages:
    """`images[i]` (`uint8`, white on black, RGB) renders character `labels[i]`."""

    characters: tuple
    labels: np.ndarray
    images: np.ndarray


def font_paths():
    """The twelve DejaVu files in matplotlib's data folder, or a clear error."""
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    missing = [name for name in FONT_FILES if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        raise FileNotFoundError(
            f"matplotlib's fonts {', '.join(missing)} are not in {folder}: the glyph identities need "
            "the DejaVu fonts a standard matplotlib install ships. Reinstall matplotlib."
        )
    return tuple(os.path.join(folder, name) for name in FONT_FILES)


@functools.lru_cache(maxsize=None)
def characters():
    """Characters every font draws, in code-point order, one per look-alike group."""
    from fontTools.ttLib import TTFont

    paths = font_paths()
    shared = set.intersection(*(set(TTFont(path).getBestCmap()) for path in paths))
    candidates = [chr(c) for c in sorted(shared) if unicodedata.category(chr(c))[0] in CATEGORIES]
    # Look-alikes share their outlines in every style: the regular of each
    # family is enough to find them.
    regulars = [path for path in paths if os.path.basename(path) in REGULAR_FILES]
    upright = functools.partial(_draw, image_size=LOOKALIKE_SIZE, height=0.7, rotation=0.0, shift=(0.0, 0.0))
    drawn = np.stack(
        [np.concatenate([upright(c, path).ravel() for path in regulars]) for c in candidates]
    ).astype("float32")
    squares = np.sum(drawn**2, axis=1)
    rms = np.sqrt(np.maximum(squares[:, None] + squares[None] - 2 * drawn @ drawn.T, 0.0) / drawn.shape[1])
    kept = []
    for i in range(len(candidates)):
        if squares[i] > 0 and not np.any(rms[i, kept] < LOOKALIKE_RMS):
            kept.append(i)
    return tuple(candidates[i] for i in kept)


def render(chosen, renderings, image_size, seed):
    """`GlyphImages` with `renderings` images of each character in `chosen`.

    Each image takes a font, a size, a rotation and a shift drawn with
    `seed` (an int or a sequence of ints, as `np.random.RandomState`
    takes); labels are indices into `chosen`, in `rendering_labels` order.
    """
    paths = font_paths()
    rng = np.random.RandomState(seed)
    images = []
    for character in chosen:
        for _ in range(renderings):
            path = paths[rng.randint(len(paths))]
            height = rng.uniform(*HEIGHT_RANGE)
            rotation = rng.uniform(-MAX_ROTATION, MAX_ROTATION)
            shift = rng.uniform(-MAX_SHIFT, MAX_SHIFT, size=2)
            images.append(_draw(character, path, image_size, height, rotation, shift))
    gray = np.stack(images)
    labels = rendering_labels(len(chosen), renderings)
    return GlyphImages(tuple(chosen), labels, np.repeat(gray[..., None], 3, axis=-1))


def rendering_labels(count, renderings):
    """The labels of `render`'s images of `count` characters: `renderings` of 0, then of 1, ..."""
    return np.repeat(np.arange(count, dtype="int32"), renderings)


def _draw(character, path, image_size, height, rotation, shift):
    """`(image_size, image_size)` `uint8` of `character`, its ink box centred
    then shifted by `shift` (shares of the image) and turned by `rotation`."""
    from PIL import Image, ImageDraw

    # Drawn at twice the size and reduced: antialiasing that does not depend
    # on the font's own hinting at tiny sizes.
    side = 2 * image_size
    font = _font(path, max(1, round(height * side)))
    canvas = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = draw.textbbox((0, 0), character, font=font)
    x = (side - (right - left)) / 2 - left + shift[0] * side
    y = (side - (bottom - top)) / 2 - top + shift[1] * side
    draw.text((x, y), character, fill=255, font=font)
    if rotation:
        canvas = canvas.rotate(rotation, resample=Image.BILINEAR)
    return np.asarray(canvas.resize((image_size, image_size), Image.BOX))


@functools.lru_cache(maxsize=None)
def _font(path, size):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)
