r"""Fine-tunes pretrained weights on new classes and/or a new resolution.

The same flags as train.py, with `--weights` required and the `finetune`
recipe (SGD momentum, cosine, no weight decay) by default. A run's
final.keras (or its run directory) brings its model, input size and
preprocessing, so --model and --image_size default to its own. The
classifier is replaced when the class count differs; a Mixer at K times the
checkpoint's resolution gets the paper's block-diagonal token-mixing
initialisation, any other resolution resampled token-mixing weights
(docs/resolution.md), e.g.:

  python examples/finetune.py --model=mixer_b16 --weights=imagenet21k \
      --dataset=imagenette --image_size=448 --epochs=10

Offline demo: fine-tune a digits run at twice the resolution:

  python examples/train.py --model_dir=runs/digits
  python examples/finetune.py --weights=runs/digits --image_size=64 --epochs=3
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

import train  # examples/train.py: the flags and the loop are the same
from keras_mlp import cli

# --help lists the main module's flags; these are train.py's.
flags.adopt_module_key_flags(train)
flags.FLAGS.set_default("recipe", "finetune")
flags.mark_flag_as_required("weights")


if __name__ == "__main__":
    cli.run(train.main, resumable=True)
