r"""Classifies image files with a keras_mlp model: top-k labels and probabilities.

A model trained by train.py (its final.keras, or the run directory) knows its
classes, input size and preprocessing:

  python examples/predict.py --weights=runs/<run>/final.keras digits/

A Hugging Face Hub repository (timm's, or one written by save_pretrained)
brings its model, preprocessing and labels too:

  python examples/predict.py --weights=hf://timm/mixer_b16_224.goog_in21k_ft_in1k cat.jpg

Pretrained tag (downloads once; preprocessing and labels come with the tag):

  python examples/predict.py --model=mixer_b16 --weights=goog_in21k_ft_in1k cat.jpg photos/

Another checkpoint (`model.save_weights`, timm `.pth`/`.safetensors`, Flax
`.npz`): name its classes, its input size, and optionally the pretrained
record whose input pipeline it was trained with:

  python examples/predict.py --model=mixer_s16 --weights=run/final.weights.h5 \
      --labels=classes.txt --input_size=128 --preprocessing=mixer_b16.goog_in21k_ft_in1k photos/

Folders are walked for .jpg/.jpeg/.png/.bmp/.gif files. A file that cannot
be read is reported and the others are still classified; the exit status is
1 if any file failed.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

import sys

from absl import app, flags

from keras_mlp import cli
from keras_mlp.classification.predict import image_paths, load_classifier, predict_files, prediction_weights

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "weights", None,
    "A run's final.keras (or its directory), a Hub repository (hf://org/name) or folder, "
    "a pretrained tag (keras_mlp.list_pretrained(model)) or a checkpoint path.",
    required=True,
)
flags.DEFINE_string(
    "model", None,
    "Registered model name (keras_mlp.list_models()); needed for a tag or checkpoint, "
    "read from a .keras file or Hub repository.",
)
flags.DEFINE_integer("top_k", 5, "Classes shown per image.", lower_bound=1)
flags.DEFINE_string(
    "labels", None,
    "Label set (imagenet1k, imagenet21k_goog, imagenet21k_miil) or a text file with one "
    "class name per line, in head order. Default: the .keras file's or the tag's; required "
    "for another checkpoint unless --preprocessing names a record. Its length must match the head.",
)
flags.DEFINE_string(
    "preprocessing", None,
    "For a checkpoint path: the pretrained record (model.tag) whose mean/std, crop and "
    "interpolation apply. Default: ImageNet mean/std, crop 0.875, bicubic.",
)
flags.DEFINE_integer("input_size", None, "Square input side. Default: the .keras file's or the record's.")
flags.DEFINE_integer("batch_size", 32, "Images per forward pass.", lower_bound=1)
flags.DEFINE_enum(
    "dtype", None, ["bfloat16"],
    "bfloat16: run the model in bfloat16, weights converted once (faster where the CPU has "
    "AVX-512-BF16 or AMX, or on a GPU); default the model's float32.",
)


def main(argv):
    inputs = argv[1:]
    if not inputs:
        raise app.UsageError("Give image files or folders to classify.")
    paths = image_paths(inputs)
    if not paths:
        raise app.UsageError(f"No image files found in {inputs}.")
    resolved = prediction_weights(
        FLAGS.weights, FLAGS.model, labels=FLAGS.labels,
        preprocessing=FLAGS.preprocessing, input_size=FLAGS.input_size,
    )
    model = load_classifier(resolved)
    failed = 0
    for prediction in predict_files(model, resolved, paths, FLAGS.top_k, FLAGS.batch_size, FLAGS.dtype):
        if prediction.error:
            failed += 1
            print(f"{prediction.path}: skipped: {prediction.error}", file=sys.stderr)
            continue
        print(prediction.path)
        for class_id, name, probability in prediction.top:
            print(f"  {probability:8.4f}  {name} ({class_id})")
    if failed:
        print(f"{failed} of {len(paths)} files could not be classified.", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    cli.run(main)
