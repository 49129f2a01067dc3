"""Using a trained face embedder: embed image files, compare two faces.

A face run's `final.keras` (from `examples/train_face_recognition.py`) holds
the embedder, its input pipeline and the verification threshold found on
its verification pairs; `compare_faces` applies that threshold.
"""

import numpy as np

from keras_mlp.face.identities import decode, check_size
from keras_mlp.face.trainer import embed, face_metadata_threshold
from keras_mlp.face.verification import l2_normalize
from keras_mlp.model_io.metadata import load_model


def load_face_embedder(path):
    """`(embedder, metadata)` of a face run directory or its `final.keras`."""
    model, metadata = load_model(path)
    face_metadata_threshold(metadata)
    return model, metadata


def embed_files(path, files, batch_size=32):
    """L2-normalised embeddings `(len(files), dim)` of face image files.

    Args:
        path: a face run directory or `final.keras`.
        files: aligned face images of the model's input size.
    """
    model, metadata = load_face_embedder(path)
    return _embed(model, metadata, files, batch_size)


def _embed(model, metadata, files, batch_size=32):
    size = metadata.preprocessing.input_size
    for file in files:
        check_size(file, size)
    images = np.stack([decode(open(file, "rb").read(), file) for file in files])
    return l2_normalize(embed(model, images, metadata.preprocessing, batch_size))


def compare_faces(path, first, second, threshold=None):
    """`(similarity, same_person)` of two face image files.

    Args:
        path: a face run directory or `final.keras`.
        first, second: the two image files.
        threshold: cosine similarity above which the faces are judged one
            person; default the run's (its 10-fold verification threshold).

    Example:

    ```python
    similarity, same = keras_mlp.compare_faces("runs/<run>", "a.png", "b.png")
    ```
    """
    model, metadata = load_face_embedder(path)
    if threshold is None:
        threshold = face_metadata_threshold(metadata)
    a, b = _embed(model, metadata, [first, second])
    similarity = float(np.dot(a, b))
    return similarity, similarity > threshold
