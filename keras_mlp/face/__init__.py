"""Face recognition: the embedder over any backbone, identity data and
InsightFace's `.bin` pairs, the margin-head trainer, verification, and
comparing faces with a trained embedder."""

from keras_mlp.face.embedder import FaceEmbedder
from keras_mlp.face.predict import compare_faces, embed_files
