r"""Top-1 / top-5 accuracy of a model on a dataset split.

  # a run of train.py
  python examples/evaluate.py --model_path=runs/<run>/final.keras
  # pretrained weights on ImageNet (prepared tfds data)
  python examples/evaluate.py --model=mixer_b16 --weights=imagenet1k \
      --dataset=imagenet2012 --split=validation --data_dir=/data/tfds
  # a RepMLP model in its deploy form
  python examples/evaluate.py --model_path=runs/<run>/final.keras --reparameterize
"""

import keras
from absl import app, flags

import keras_mlp
from keras_mlp.training import evaluate
from keras_mlp.weights.loading import WeightsSource

FLAGS = flags.FLAGS
flags.DEFINE_string("model_path", None, "A saved .keras model (e.g. final.keras of a run).")
flags.DEFINE_string("model", None, "Registered model name, with --weights, instead of --model_path.")
flags.DEFINE_string("weights", None, "Pretrained tag or checkpoint path for --model.")
flags.DEFINE_string("dataset", "digits", "'digits', a tfds name or a folder of class sub-folders.")
flags.DEFINE_string("split", "test", "Split to evaluate.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory.")
flags.DEFINE_integer("image_size", None, "Input side for --model; default the weights' size.")
flags.DEFINE_integer("batch_size", 256, "Evaluation batch size.")
flags.DEFINE_bool("reparameterize", False, "Evaluate the deploy form (RepMLP models).")


def main(argv):
    del argv
    record = None
    if FLAGS.model_path:
        model = keras.saving.load_model(FLAGS.model_path, compile=False)
    elif FLAGS.model:
        record = WeightsSource(FLAGS.weights, FLAGS.model).record if FLAGS.weights else None
        size = FLAGS.image_size or (record.preprocessing.input_size if record else 224)
        model = keras_mlp.create_model(
            FLAGS.model, weights=FLAGS.weights, input_shape=(size, size, 3),
            classes=record.classes if record else 1000,
        )
    else:
        raise app.UsageError("Pass --model_path, or --model with --weights.")
    if FLAGS.reparameterize:
        model = keras_mlp.reparameterize(model)
    metrics = evaluate(
        model, FLAGS.dataset, FLAGS.split, image_size=model.input_shape[1],
        weights_record=record, batch_size=FLAGS.batch_size, data_dir=FLAGS.data_dir,
    )
    print(f"{model.name} on {FLAGS.dataset}/{FLAGS.split}: "
          f"top-1 {metrics['top1']:.4f}, top-5 {metrics['top5']:.4f}")


if __name__ == "__main__":
    app.run(main)
