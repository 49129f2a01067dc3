"""The embedded default dataset: scikit-learn's bundled handwritten digits.

1,797 real 8x8 grey-level scans (UCI optical digits) ship inside
scikit-learn, so the default training run needs no download.
"""

import numpy as np

DIGITS_CLASSES = [str(i) for i in range(10)]


def load_digits(test_fraction=0.2, seed=0):
    """`{"train": (images, labels), "test": (images, labels)}` of the digits.

    Images are `uint8` RGB `(n, 8, 8, 3)` in [0, 255] (the pipeline resizes
    them); the split is stratified and fixed by `seed`.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    digits = sklearn_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype("uint8")
    images = np.repeat(images[..., None], 3, axis=-1)
    x_train, x_test, y_train, y_test = train_test_split(
        images,
        digits.target.astype("int32"),
        test_size=test_fraction,
        random_state=seed,
        stratify=digits.target,
    )
    return {"train": (x_train, y_train), "test": (x_test, y_test)}
