"""A folder of class sub-folders as `(paths, labels, class_names)`.

Files are checked by their header before training starts, so a corrupt or
non-image file is reported by name (or skipped and counted) instead of
failing mid-epoch with an anonymous decode error.
"""

import os

import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"GIF87a", b"GIF89a")


class CorruptImageError(ValueError):
    """An image file cannot be decoded."""


def is_image_file(path):
    """Whether `path` starts like a JPEG, PNG, BMP or GIF and is not empty."""
    with open(path, "rb") as f:
        head = f.read(16)
    return any(head.startswith(magic) for magic in _MAGIC)


def list_image_folder(directory, skip_corrupt=False):
    """Returns `(paths, labels, class_names, num_skipped)`.

    Args:
        directory: root folder; each sub-folder is one class (sorted names).
        skip_corrupt: `False` raises `CorruptImageError` naming the first
            bad file; `True` leaves bad files out and counts them.
    """
    if not tf.io.gfile.isdir(directory):
        raise ValueError(f"Image folder not found: {directory!r}")
    class_names = sorted(
        d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d))
    )
    if not class_names:
        raise ValueError(
            f"{directory!r} has no class sub-folders; expected "
            "<directory>/<class_name>/<image files>."
        )
    paths, labels, skipped = [], [], 0
    for label, name in enumerate(class_names):
        for root, _, files in sorted(os.walk(os.path.join(directory, name))):
            for file in sorted(files):
                if not file.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                path = os.path.join(root, file)
                if not is_image_file(path):
                    if not skip_corrupt:
                        raise CorruptImageError(
                            f"{path} is not a readable image (empty, truncated "
                            "or another format). Remove it, or pass "
                            "skip_corrupt=True (--skip_corrupt) to leave such "
                            "files out."
                        )
                    skipped += 1
                    continue
                paths.append(path)
                labels.append(label)
    if not paths:
        raise ValueError(f"No images found under {directory!r}.")
    return paths, labels, class_names, skipped
