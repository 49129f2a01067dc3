r"""Trains a keras_mlp model with `model.fit`.

With no flags it trains Mixer-T/4 on the digits that ship inside
scikit-learn (offline, a few minutes on 2 CPU cores, about 98% test
accuracy). The real runs only change flags, e.g. on a GPU machine:

  python examples/train.py --model=mixer_b16 --dataset=imagenet2012 \
      --recipe=mixer_imagenet --data_dir=/data/tfds --mixed_precision=mixed_bfloat16

A run writes checkpoints, TensorBoard logs, a CSV log, a learning-curve PNG
and the trained model (final.keras, with its class names and preprocessing)
to --model_dir, default runs/<model>-<dataset>-<recipe>-<digest of the
settings>. After an interruption, rerun the same command and it continues
from the last completed epoch; rerun a finished one and it says so and
changes nothing.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

from keras_mlp import cli
from keras_mlp.classification import TrainConfig, train
from keras_mlp.classification.evaluation import summary
from keras_mlp.classification.trainer import DEFAULT_MODEL
from keras_mlp.training import RECIPES
from keras_mlp.training.strategy import STRATEGIES

_DEFAULTS = TrainConfig()
FLAGS = flags.FLAGS
flags.DEFINE_string(
    "model", None,
    f"Registered model name (keras_mlp.list_models()); default the model of a .keras "
    f"--weights, else {DEFAULT_MODEL}.",
)
flags.DEFINE_string(
    "dataset", _DEFAULTS.dataset,
    "'digits' (embedded; ./digits for a folder of that name), a tensorflow-datasets name "
    "(imagenet2012, cifar10, ...) or a folder, which wins over a tfds name: train/<class>/ "
    "plus test/<class>/ or validation/<class>/ (or <class>/ with --holdout_fraction).",
)
flags.DEFINE_enum("recipe", _DEFAULTS.recipe, sorted(RECIPES), "Training recipe (keras_mlp.training.RECIPES).")
flags.DEFINE_integer("epochs", None, "Epochs (>= 1); default from the recipe.")
flags.DEFINE_integer(
    "batch_size", None,
    "Global batch size, split across replicas, at most the training examples; default from the recipe.",
)
flags.DEFINE_integer(
    "image_size", None, "Square input side; default the --weights' input size, else the recipe's."
)
flags.DEFINE_string(
    "weights", None,
    "Initial weights: a pretrained tag, a checkpoint path, or a run's final.keras (or its directory).",
)
flags.DEFINE_enum(
    "strategy", _DEFAULTS.strategy, list(STRATEGIES),
    "Distribution strategy: auto (all local GPUs), mirrored, one_device, tpu, "
    "multi_worker (cluster from TF_CONFIG; give every worker the same --model_dir), or "
    "multi_process (jax: every process of --coordinator_address/--num_processes/--process_id, "
    "each reading its shard of the data; the same --model_dir on a shared file system).",
)
flags.DEFINE_string(
    "coordinator_address", None,
    "multi_process: host:port of process 0, where the processes meet; default detected "
    "by JAX (TPU pods, Slurm).",
)
flags.DEFINE_integer("num_processes", None, "multi_process: how many processes; default detected.")
flags.DEFINE_integer("process_id", None, "multi_process: this process, 0 to --num_processes - 1; default detected.")
flags.DEFINE_integer(
    "coordinator_timeout", _DEFAULTS.coordinator_timeout,
    "multi_process: seconds to wait for every process to join before giving up.",
)
flags.DEFINE_integer(
    "model_parallel", _DEFAULTS.model_parallel,
    "jax: split each model copy's MLPs over this many devices (MLP-Mixer, ResMLP, gMLP); "
    "the devices hold (devices / this) copies, which split the batch.",
)
flags.DEFINE_enum(
    "mixed_precision", None, ["mixed_bfloat16", "mixed_float16"],
    "Mixed-precision policy; mixed_float16 adds loss scaling.",
)
flags.DEFINE_enum(
    "jit_compile", _DEFAULTS.jit_compile, ["auto", "true", "false"],
    "Compile the training step with XLA: `auto` is Keras' (XLA on JAX and on TensorFlow "
    "GPUs); `true` on a TensorFlow CPU made Mixer-S/16's steps 1.13x faster (docs/training.md).",
)
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory.")
flags.DEFINE_bool(
    "download", _DEFAULTS.download,
    "Let tensorflow-datasets download and prepare a dataset that is not prepared yet "
    "(needs network); without it that is an error.",
)
flags.DEFINE_string("eval_split", None, "Evaluation split; default 'validation' or 'test'.")
flags.DEFINE_float(
    "holdout_fraction", None,
    "For a folder dataset: evaluate on this fraction of the training images of each "
    "class, held out of training (chosen by --seed).",
)
flags.DEFINE_bool("skip_corrupt", False, "Skip unreadable images in folders (counted) instead of failing.")
flags.DEFINE_bool(
    "deterministic", False,
    "Deterministic TensorFlow ops: bit-identical reruns and resumptions, slower.",
)
cli.define_run_flags("runs/<model>-<dataset>-<recipe>-<digest of the settings>")


def main(argv):
    del argv
    _, results = train(cli.config_from_flags(TrainConfig))
    print(f"\nFinal evaluation: {summary(results)}")
    print(f"Run directory: {results['model_dir']} (checkpoints/, logs/, history.csv, "
          f"learning_curves.png); trained model: {results['final_model']}")


if __name__ == "__main__":
    cli.run(main, resumable=True)
