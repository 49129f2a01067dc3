r"""Prints the model zoo table: parameters, multiply-accumulates and weight tags
of every registered model, at its default resolution, in Markdown.

  python benchmarks/model_zoo.py [--models=mixer_*] > docs/model_zoo_table.md

MACs are counted analytically from the traced TensorFlow graph of one image:
every MatMul, BatchMatMul and convolution contributes `output elements x
reduction length`; element-wise ops, norms and activations are not counted
(the convention of fvcore and timm's tables). RepMLP models are counted in
deploy form (`keras_mlp.reparameterize`), the form that is served;
parameters are given for both forms.
"""

import fnmatch
import math

import tensorflow as tf
from absl import app, flags

import keras_mlp
from keras_mlp.layers import Reparameterizable

FLAGS = flags.FLAGS
flags.DEFINE_string("models", "*", "Shell pattern of the registered model names.")


def count_macs(model):
    """Multiply-accumulates of one forward pass of one image (TF backend)."""
    spec = tf.TensorSpec((1, *model.input_shape[1:]), model.inputs[0].dtype)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    macs = 0
    for op in graph.get_operations():
        if op.type in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
            a = op.inputs[0].shape
            transposed = op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x")
            macs += _elements(op.outputs[0].shape) * (a[-2] if transposed else a[-1])
        elif op.type in ("Conv2D", "DepthwiseConv2dNative"):
            kh, kw, cin, _ = op.inputs[1].shape
            per_output = kh * kw * (1 if op.type == "DepthwiseConv2dNative" else cin)
            macs += _elements(op.outputs[0].shape) * per_output
        elif op.type in ("Einsum", "Conv3D", "Conv2DBackpropInput"):
            raise ValueError(f"Cannot count {op.type} ({op.name}) in {model.name}.")
    return macs


def _elements(shape):
    return math.prod(shape.as_list())


def _tags(name):
    return ", ".join(tag.partition(".")[2] for tag in keras_mlp.list_pretrained(name))


def main(argv):
    del argv
    print("| model | params | params (deploy) | GMACs | resolution | weight tags |")
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
            f"{count_macs(model) / 1e9:.2f} | {size} | {_tags(name)} |",
            flush=True,
        )
        del model


if __name__ == "__main__":
    app.run(main)
