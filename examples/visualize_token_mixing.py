r"""Draws the token-mixing weights of a model's blocks to a PNG, one small image
per unit on the patch grid. MLP-Mixer's hidden units (the paper's Figure 2):

  python examples/visualize_token_mixing.py --model=mixer_b16 --weights=imagenet21k \
      --blocks=0,1,2 --output=token_mixing.png

ResMLP's token-mixing linear layers, one filter per output patch, laid out at
that patch's place on the 14x14 grid (the ResMLP paper's figure of learned
patches): see docs/resmlp.md.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

from keras_mlp import cli
from keras_mlp.classification.visualize import DEFAULT_MODEL, model_to_plot, plot_token_mixing

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "model", None,
    "Registered model whose blocks mix tokens with weights (Mixer, ResMLP, gMLP, ...); "
    f"default the .keras --weights' model, else {DEFAULT_MODEL}.",
)
flags.DEFINE_string(
    "weights", None,
    "A run's final.keras (or its directory), a pretrained tag or a checkpoint path; "
    "None: random initialisation.",
)
flags.DEFINE_list("blocks", ["0", "1", "2"], "Block indices or names.")
flags.DEFINE_integer("units", 64, "Units (hidden units, or output patches) shown per block.", lower_bound=1)
flags.DEFINE_integer("columns", 16, "Units per row.", lower_bound=1)
flags.DEFINE_string("output", "token_mixing.png", "PNG file to write.")


def main(argv):
    del argv
    model = model_to_plot(FLAGS.model, FLAGS.weights)
    blocks = [int(b) if b.lstrip("-").isdigit() else b for b in FLAGS.blocks]
    print(plot_token_mixing(model, FLAGS.output, blocks, FLAGS.units, FLAGS.columns))


if __name__ == "__main__":
    cli.run(main)
