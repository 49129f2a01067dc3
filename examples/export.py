r"""Exports a keras_mlp model for serving: TF SavedModel, TFLite (float and
dynamic-range int8) and ONNX, and checks every artifact against Keras.

  python examples/export.py --model=mixer_b16 --weights=goog_in21k_ft_in1k --output_dir=export/
  python examples/export.py --model=repmlpnet_b224 --weights=RepMLPNet-B224-train.pth \
      --reparameterize --formats=tflite,onnx

Writes <output_dir>/<model>_saved_model/, <model>.tflite, <model>_int8.tflite
and <model>.onnx. With --verify (default) each artifact runs in its own
runtime on a random batch and the largest logit difference to the Keras
model is printed.
"""

import os

import keras
import numpy as np
from absl import app, flags

from keras_mlp.export import FORMATS, export_model, run_artifact
from keras_mlp.models.registry import create_model

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "Registered model name (keras_mlp.list_models()).", required=True)
flags.DEFINE_string("weights", None, "Pretrained tag or checkpoint path; None: random initialisation.")
flags.DEFINE_integer("input_size", None, "Square input side; default: the model's.")
flags.DEFINE_integer("classes", 1000, "Classes of the checkpoint's head.")
flags.DEFINE_list("formats", list(FORMATS), f"Formats among {FORMATS}.")
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
    unknown = sorted(set(FLAGS.formats) - set(FORMATS))
    if unknown:
        raise app.UsageError(f"Unknown --formats {unknown}; choose among {FORMATS}.")
    shape = (FLAGS.input_size, FLAGS.input_size, 3) if FLAGS.input_size else None
    model = create_model(
        FLAGS.model, weights=FLAGS.weights, input_shape=shape, classes=FLAGS.classes,
        classifier_activation=None,
    )
    if FLAGS.reparameterize:
        from keras_mlp.models.reparameterize import reparameterize

        model = reparameterize(model)
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    x = np.random.RandomState(0).normal(size=(4, *model.input_shape[1:])).astype("float32")
    expected = model.predict(x, verbose=0) if FLAGS.verify else None
    for format in FLAGS.formats:
        path = os.path.join(FLAGS.output_dir, _FILE_NAMES[format].format(FLAGS.model))
        export_model(model, path, format)
        line = f"{format:>14}: {path}"
        if FLAGS.verify:
            outputs = run_artifact(path, format, x)
            same_top1 = np.mean(outputs.argmax(-1) == expected.argmax(-1))
            line += f"  max |logit diff| {np.abs(outputs - expected).max():.2e}, same top-1 {same_top1:.0%}"
        print(line, flush=True)


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    app.run(main)
