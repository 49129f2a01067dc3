r"""Verification accuracy of a trained face embedder, with a ROC plot.

  python examples/evaluate_face_recognition.py --weights=runs/<run>

evaluates a face run (its directory or final.keras) on the verification set
it was trained with (the unseen identities of an embedded protocol), or on
--verification (InsightFace .bin files or LFW-style pairs.txt, comma
separated): 10-fold accuracy with the best threshold of each fold, the
threshold, TAR@FAR=1e-3, and a ROC curve PNG. --compare=a.png,b.png compares
two faces with the run's threshold instead.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

import os

from absl import app, flags

from keras_mlp import cli
from keras_mlp.face.identities import EMBEDDED_PROTOCOLS, embedded_protocol, verification_set
from keras_mlp.face.predict import compare_faces, load_face_embedder
from keras_mlp.face.trainer import FAR, embed
from keras_mlp.face.verification import evaluate_pairs, pair_scores, plot_roc

FLAGS = flags.FLAGS
flags.DEFINE_string("weights", None, "A face run directory or its final.keras.", required=True)
flags.DEFINE_list("verification", None, "Verification sets (.bin or pairs.txt); default the run's own.")
flags.DEFINE_string("verification_images", None, "Folder of the images a pairs.txt names; default its folder.")
flags.DEFINE_string("roc", None, "ROC plot PNG; default roc.png beside the model.")
flags.DEFINE_list("compare", None, "Two face image files to compare with the run's threshold.")


def main(argv):
    del argv
    if FLAGS.compare:
        if len(FLAGS.compare) != 2:
            raise app.UsageError(f"--compare takes two image files; got {FLAGS.compare}.")
        similarity, same = compare_faces(FLAGS.weights, *FLAGS.compare)
        print(f"cosine similarity {similarity:.4f}: {'the same person' if same else 'different people'}")
        return
    model, metadata = load_face_embedder(FLAGS.weights)
    size = metadata.preprocessing.input_size
    if FLAGS.verification:
        sets = [verification_set(path, size, FLAGS.verification_images) for path in FLAGS.verification]
    elif metadata.extra.get("dataset") in EMBEDDED_PROTOCOLS:
        sets = [embedded_protocol(metadata.extra["dataset"], size, metadata.extra.get("seed", 0))[1]]
    else:
        raise app.UsageError("This run was not trained on an embedded protocol: pass --verification.")
    curves = {}
    for pairs in sets:
        embeddings = embed(model, pairs.images, metadata.preprocessing)
        print(evaluate_pairs(embeddings, pairs.issame, FAR).describe(pairs.name, FAR))
        curves[pairs.name] = (pair_scores(embeddings), pairs.issame)
    weights = FLAGS.weights if os.path.isdir(FLAGS.weights) else os.path.dirname(FLAGS.weights)
    roc = FLAGS.roc or os.path.join(weights, "roc.png")
    plot_roc(curves, roc)
    print(f"ROC curve: {roc}")


if __name__ == "__main__":
    cli.run(main)
