r"""Prints the model zoo table: parameters, FLOPs and weight tags of every
registered model, at its default resolution, in Markdown.

  python benchmarks/model_zoo.py [--models=mixer_*]

FLOPs of one image are `keras_mlp.count_flops` (every matmul and convolution,
a multiply-add counts 2; norms, activations, biases and residual adds are not
counted, under 0.5% of an all-MLP model). RepMLP models are counted in deploy
form (`keras_mlp.reparameterize`), the form that is served; parameters are
given for both forms.
"""

import fnmatch

from absl import app, flags

import keras_mlp
from keras_mlp.layers import Reparameterizable

FLAGS = flags.FLAGS
flags.DEFINE_string("models", "*", "Shell pattern of the registered model names.")


def _tags(name):
    return ", ".join(tag.partition(".")[2] for tag in keras_mlp.list_pretrained(name))


def main(argv):
    del argv
    print("| model | params | params (deploy) | GFLOPs | resolution | weight tags |")
    print("|---|---:|---:|---:|---:|---|")
    for name in fnmatch.filter(keras_mlp.list_models(), FLAGS.models):
        model = keras_mlp.create_model(name)
        params = model.count_params()
        deploy = None
        if any(isinstance(layer, Reparameterizable) for layer in model.layers):
            model = keras_mlp.reparameterize(model)
            deploy = model.count_params()
        size = model.input_shape[1]
        print(
            f"| {name} | {params:,} | {f'{deploy:,}' if deploy else ''} | "
            f"{keras_mlp.count_flops(model) / 1e9:.2f} | {size} | {_tags(name)} |",
            flush=True,
        )
        del model


if __name__ == "__main__":
    app.run(main)
