"""A folder of class sub-folders as `(paths, labels, class_names)`.

Files are checked before training starts, so a corrupt, truncated or
non-image file is reported by name (or skipped and counted) instead of
failing mid-epoch with an anonymous decode error. The check reads each file's
first and last bytes; only a file whose end marker is missing there (a
truncated download, or extra bytes after the image) is decoded in full.
"""

import os

import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
# Header -> the marker that ends a complete file of that format (BMP has none:
# its header states the file size instead).
_FORMATS = {
    b"\xff\xd8\xff": b"\xff\xd9",  # JPEG: EOI
    b"\x89PNG\r\n\x1a\n": b"IEND",  # PNG: the IEND chunk
    b"GIF87a": b"\x3b",  # GIF: trailer
    b"GIF89a": b"\x3b",
    b"BM": None,
}
_TAIL_BYTES = 1024


class CorruptImageError(ValueError):
    """An image file cannot be decoded."""


def is_image_file(path):
    """Whether `path` is a JPEG, PNG, BMP or GIF that TensorFlow can decode.

    A known header and the format's end marker in the last KiB (BMP: at
    least the size its header states) pass without decoding; a file without
    its end marker there is decoded to decide.
    """
    with open(path, "rb") as f:
        head = f.read(16)
        size = f.seek(0, os.SEEK_END)
        f.seek(max(size - _TAIL_BYTES, 0))
        tail = f.read()
    magic = next((m for m in _FORMATS if head.startswith(m)), None)
    if magic is None:
        return False
    if magic == b"BM":
        return len(head) >= 6 and size >= int.from_bytes(head[2:6], "little")
    if _FORMATS[magic] in tail:
        return True
    try:
        tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    except tf.errors.InvalidArgumentError:
        return False
    return True


def _problem(path):
    """Why `path` cannot be trained on, or `None`."""
    try:
        if is_image_file(path):
            return None
    except OSError as e:  # no permission, a dangling link, an I/O error
        return f"cannot be read ({e.strerror or e})"
    return "is not a readable image (empty, truncated, corrupt or another format)"


def class_folders(directory):
    """The sorted sub-folder names of `directory`: its class names."""
    return sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))


def list_image_folder(directory, skip_corrupt=False, class_names=None):
    """Returns `(paths, labels, class_names, num_skipped)`.

    Args:
        directory: root folder; each sub-folder is one class (sorted names).
        skip_corrupt: `False` raises `CorruptImageError` naming the first
            bad file (undecodable, or unreadable: permissions, a dangling
            link); `True` leaves bad files out and counts them.
        class_names: the classes the folder must have, e.g. those of the
            training split, so that label `i` means the same class in every
            split; an error lists the folders missing or extra. Default: the
            sub-folders found, which must be at least two.

    Every class folder must hold at least one image: an empty one would be a
    class that can never be learned or evaluated.
    """
    if not tf.io.gfile.isdir(directory):
        raise ValueError(f"Image folder not found: {directory!r}")
    found = class_folders(directory)
    if not found:
        raise ValueError(
            f"{directory!r} has no class sub-folders; expected "
            "<directory>/<class_name>/<image files>."
        )
    if class_names is None:
        if len(found) == 1:
            raise ValueError(
                f"{directory!r} has a single class folder ({found[0]!r}): a "
                "classifier needs at least two classes, one sub-folder each."
            )
        class_names = found
    elif found != list(class_names):
        missing = sorted(set(class_names) - set(found))
        extra = sorted(set(found) - set(class_names))
        raise ValueError(
            f"{directory!r} has other class folders than the training split: "
            f"missing {missing}, extra {extra}. Every split needs the same "
            "class folders, or labels would mean different classes."
        )
    paths, labels, skipped = [], [], 0
    for label, name in enumerate(class_names):
        count = 0
        for root, _, files in sorted(os.walk(os.path.join(directory, name))):
            for file in sorted(files):
                if not file.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                path = os.path.join(root, file)
                problem = _problem(path)
                if problem:
                    if not skip_corrupt:
                        raise CorruptImageError(
                            f"{path} {problem}. Remove it, or pass "
                            "skip_corrupt=True (--skip_corrupt) to leave such "
                            "files out."
                        )
                    skipped += 1
                    continue
                paths.append(path)
                labels.append(label)
                count += 1
        if not count:
            raise ValueError(
                f"The class folder {os.path.join(directory, name)!r} holds no "
                f"readable images ({', '.join(IMAGE_EXTENSIONS)}). Add images "
                "or remove the folder."
            )
    return paths, labels, list(class_names), skipped
