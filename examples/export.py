r"""Exports a keras_mlp model for serving: TF SavedModel, TFLite (float and
dynamic-range int8) and ONNX, and checks every artifact against Keras.

  python examples/export.py --weights=runs/<run>/final.keras --output_dir=export/
  (a classification or segmentation run's model; a segmenter's logits are
  checked pixel by pixel)
  python examples/export.py --model=mixer_b16 --weights=goog_in21k_ft_in1k --output_dir=export/
  python examples/export.py --model=repmlpnet_b224 --weights=RepMLPNet-B224-train.pth \
      --reparameterize --formats=tflite,onnx

Writes <output_dir>/<model>_saved_model/, <model>.tflite, <model>_int8.tflite
and <model>.onnx; by default every format whose converter is installed
(ONNX needs tf2onnx and onnx) and that the Keras backend exports (the
TensorFlow backend all four, JAX the SavedModel); every requested format is
checked before any is written, and a file that fails its check is not kept.
With --verify (default) each artifact runs in its own runtime on a random
batch and the largest logit difference to the Keras model is printed; a model whose outputs do not depend on its input
(an untrained Mixer's zero head) is checked through a copy with a random head.

A face run's final.keras (examples/train_face_recognition.py) exports its
embedder, as <backbone>_face_embedder*; --verify then prints the largest
embedding difference and the smallest cosine similarity between the
artifact's and Keras' embeddings, since embeddings are compared by angle:

  python examples/export.py --weights=runs/<face run>/final.keras --verify

A detection run's final.keras (examples/train_detection.py) exports its
serving form (keras_mlp.detection.serving_model), as retinanet_<backbone>*:
one output of every anchor's box ([x_min, y_min, x_max, y_max] pixels of the
input) and class probabilities, for the runtime's non-maximum suppression;
--verify prints the largest box and probability differences.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

import os

import keras
import numpy as np
from absl import app, flags

from keras_mlp import atomic, cli
from keras_mlp.classification.predict import build_classifier
from keras_mlp.detection import TASK as DETECTION_TASK
from keras_mlp.detection.serving import serving_model
from keras_mlp.export import FORMATS, available_formats, check_formats, export_model, run_artifact, verify_export
from keras_mlp.face.trainer import TASK as FACE_TASK
from keras_mlp.model_io.metadata import load_model
from keras_mlp.model_io.resolver import resolve_weights
from keras_mlp.segmentation.trainer import TASK as SEGMENTATION_TASK

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "weights", None,
    "A run's final.keras (or its directory), a pretrained tag, a checkpoint path; "
    "None: random initialisation.",
)
flags.DEFINE_string(
    "model", None, "Registered model name (keras_mlp.list_models()); read from a .keras --weights."
)
flags.DEFINE_integer("input_size", None, "Square input side; default: the model's.")
flags.DEFINE_integer(
    "classes", 1000, "Classes of a checkpoint file's head (a tag, .keras file or Hub repository says its own)."
)
flags.DEFINE_list(
    "formats", None,
    f"Formats among {FORMATS}. Default: those whose converters are installed and "
    "that this Keras backend exports.",
)
flags.DEFINE_string("output_dir", "export", "Directory for the artifacts.")
flags.DEFINE_bool(
    "reparameterize", False,
    "For RepMLP models (repmlpnet_*, repmlp_res50_*, repmlp_cifar): export the deploy "
    "form, with the Local Perceptron and BatchNorms folded into the FC weights.",
)
flags.DEFINE_bool("verify", True, "Run each artifact and compare its outputs with Keras.")

_FILE_NAMES = {
    "tf_saved_model": "{}_saved_model",
    "tflite": "{}.tflite",
    "tflite_int8": "{}_int8.tflite",
    "onnx": "{}.onnx",
}


def main(argv):
    del argv
    formats = FLAGS.formats
    if formats is None:
        formats = available_formats(FLAGS.verify)
        skipped = [f for f in FORMATS if f not in formats]
        if skipped:
            print(f"Skipping {skipped}: their converters or runtimes are not installed.")
    try:
        check_formats(formats, FLAGS.verify)
    except ValueError as e:
        raise app.UsageError(str(e)) from e
    resolved = resolve_weights(FLAGS.weights, FLAGS.model)
    if resolved.is_saved_model:
        model, _ = load_model(resolved.weights)
    else:
        if FLAGS.input_size is not None:
            resolved = resolved.resized(FLAGS.input_size)
        model = build_classifier(resolved, resolved.classes or FLAGS.classes, classifier_activation=None)
    name = resolved.model
    task = resolved.metadata.extra.get("task") if resolved.metadata is not None else None
    if task == SEGMENTATION_TASK:
        # A segmenter's files are named by head and backbone: upernet_mixer_t4.onnx.
        name = f"{resolved.metadata.extra['head']}_{name}"
    embedder = task == FACE_TASK
    if embedder:
        name += "_face_embedder"
    detector = task == DETECTION_TASK
    if detector:
        name = f"retinanet_{name}"
        model = serving_model(model)
    if FLAGS.reparameterize:
        from keras_mlp.models.reparameterize import reparameterize

        model = reparameterize(model)
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    x = np.random.RandomState(0).normal(size=(4, *model.input_shape[1:])).astype("float32")
    for format in formats:
        path = os.path.join(FLAGS.output_dir, _FILE_NAMES[format].format(name))
        line = f"{format:>14}: {path}"
        # An artifact whose runtime fails to run it is not kept either.
        with atomic.atomic_path(path) as tmp:
            export_model(model, tmp, format)
            if FLAGS.verify and detector:
                line += _detections_check(model, tmp, format, x)
            elif FLAGS.verify:
                check = verify_export(model, tmp, format, x)
                if embedder:
                    line += (
                        f"  max |embedding diff| {check.max_abs_diff:.2e}, "
                        f"min cosine to Keras {check.min_cosine:.6f}"
                    )
                else:
                    line += f"  max |logit diff| {check.max_abs_diff:.2e}, same top-1 {check.same_top1:.0%}"
                if check.note:
                    line += f" ({check.note})"
        print(line, flush=True)


def _detections_check(model, path, format, images):
    expected = model.predict(images, verbose=0)
    difference = np.abs(run_artifact(path, format, images) - expected)
    # An undertrained detector's boxes on random images reach far past the
    # image, so the box difference is also given relative to them.
    box_diff = difference[..., :4].max()
    relative = box_diff / max(np.abs(expected[..., :4]).max(), 1.0)
    return (
        f"  max |box diff| {box_diff:.2e} px ({relative:.1e} relative), "
        f"max |probability diff| {difference[..., 4:].max():.2e}"
    )


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    cli.run(main)
