r"""Top-1 / top-5 accuracy of a model on a dataset split.

  # a run of train.py: its model, dataset, split and preprocessing are in the file
  python examples/evaluate.py --weights=runs/<run>/final.keras
  # pretrained weights on ImageNet (prepared tfds data)
  python examples/evaluate.py --model=mixer_b16 --weights=imagenet1k \
      --dataset=imagenet2012 --split=validation --data_dir=/data/tfds
  # the same run at another resolution (its token-mixing weights resampled)
  python examples/evaluate.py --weights=runs/<run>/final.keras --image_size=48
  # a RepMLP model in its deploy form
  python examples/evaluate.py --weights=runs/<run>/final.keras --reparameterize
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

from keras_mlp import cli
import keras_mlp
from keras_mlp.classification import evaluate
from keras_mlp.classification.evaluation import summary
from keras_mlp.classification.predict import build_classifier
from keras_mlp.classification.trainer import normalization
from keras_mlp.data import sources
from keras_mlp.model_io.metadata import load_model
from keras_mlp.model_io.resolver import resolve_weights

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "weights", None,
    "A run's final.keras (or its directory), a Hub repository (hf://org/name) or folder, "
    "a full pretrained name (model.tag), or, with --model, a tag or checkpoint path.",
    required=True,
)
flags.DEFINE_string("model", None, "Registered model name, for a tag or checkpoint; read from a .keras file.")
flags.DEFINE_string(
    "dataset", None,
    "'digits', a tfds name or a folder. Default: the dataset the .keras model was trained on, else digits.",
)
flags.DEFINE_string("split", None, "Split to evaluate. Default: the run's evaluation split, else the dataset's.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory. Default: the run's.")
flags.DEFINE_integer(
    "image_size", None,
    "Input side; default the weights' size. Another size resamples the token-mixing weights.",
)
flags.DEFINE_float(
    "holdout_fraction", None,
    "For a folder dataset without a split folder: evaluate on this fraction of each class's "
    "images, the part train.py --holdout_fraction held out. Default: the run's.",
)
flags.DEFINE_integer("seed", None, "The --seed that chose the held-out images. Default: the run's, else 0.")
flags.DEFINE_integer("batch_size", 256, "Evaluation batch size.")
flags.DEFINE_bool("reparameterize", False, "Evaluate the deploy form (RepMLP models).")


def main(argv):
    del argv
    resolved = resolve_weights(FLAGS.weights, FLAGS.model)
    # A training run's metadata says what it was trained and evaluated on.
    run = resolved.metadata.extra if resolved.is_saved_model else {}
    same_data = FLAGS.dataset in (None, run.get("dataset"))
    dataset = run.get("dataset", "digits") if same_data else FLAGS.dataset
    split = FLAGS.split or (run.get("eval_split") if same_data else None)
    data_dir = FLAGS.data_dir or (run.get("data_dir") if same_data else None)
    holdout = dict(holdout_fraction=run.get("holdout_fraction"), seed=run.get("seed", 0)) if same_data else {}
    size = FLAGS.image_size or (resolved.preprocessing.input_size if resolved.preprocessing else 224)
    resolved = resolved.resized(size)
    prep = normalization(dataset, resolved.preprocessing).replace(input_size=size)
    if resolved.is_saved_model:
        model, _ = load_model(resolved.weights, input_size=size)
    else:
        classes = resolved.classes
        if classes is None:
            split = split or sources.eval_split_name(dataset, data_dir)
            classes = sources.load_dataset(dataset, split, data_dir).info.num_classes
        model = build_classifier(resolved, classes)
    class_names = resolved.class_names if resolved.metadata else None
    if FLAGS.holdout_fraction is not None:
        holdout = dict(holdout, holdout_fraction=FLAGS.holdout_fraction)
    if FLAGS.seed is not None:
        holdout = dict(holdout, seed=FLAGS.seed)
    split = split or sources.eval_split_name(dataset, data_dir)
    if FLAGS.reparameterize:
        model = keras_mlp.reparameterize(model)
    metrics = evaluate(
        model, dataset, split, prep, batch_size=FLAGS.batch_size, data_dir=data_dir,
        class_names=class_names, **holdout,
    )
    print(f"{model.name} on {dataset}/{split}: {summary(metrics)}")


if __name__ == "__main__":
    cli.run(main)
