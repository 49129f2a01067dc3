r"""Prints the model zoo table: parameters, FLOPs and weight tags of every
registered model, at its default resolution, in Markdown.

  python benchmarks/model_zoo.py [--models=mixer_*]

FLOPs of one image are counted on the traced TensorFlow graph: every MatMul,
batched MatMul, einsum and convolution contributes `2 x output elements x
reduction length`; norms, activations, biases and residual adds are not counted (under
0.5% of an all-MLP model). The graph keeps the weights as variables, so even
Mixer-H/14 is counted in little memory. RepMLP models are counted in deploy
form (`keras_mlp.reparameterize`), the form that is served; parameters are
given for both forms.
"""

import fnmatch
import math

import tensorflow as tf
from absl import app, flags

import keras_mlp
from keras_mlp.layers import Reparameterizable

FLAGS = flags.FLAGS
flags.DEFINE_string("models", "*", "Shell pattern of the registered model names.")


def count_flops(model, batch_size=1):
    """Forward-pass FLOPs (a multiply-add counts 2) for `batch_size` images."""
    spec = tf.TensorSpec((batch_size,) + tuple(model.input_shape[1:]), model.inputs[0].dtype)
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    macs = 0
    for op in graph.get_operations():
        if op.type in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
            a = op.inputs[0].shape
            transposed = op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x")
            macs += _elements(op.outputs[0].shape) * (a[-2] if transposed else a[-1])
        elif op.type in ("Conv2D", "DepthwiseConv2dNative"):
            kernel_height, kernel_width, in_channels, _ = op.inputs[1].shape
            per_output = kernel_height * kernel_width
            if op.type == "Conv2D":
                per_output *= in_channels
            macs += _elements(op.outputs[0].shape) * per_output
        elif op.type == "Einsum" and "." not in op.get_attr("equation").decode():
            # A contraction multiplies once per combination of all its indices.
            operands = op.get_attr("equation").decode().split("->")[0].split(",")
            sizes = {}
            for letters, tensor in zip(operands, op.inputs):
                sizes.update(zip(letters, tensor.shape.as_list()))
            macs += math.prod(sizes.values())
        elif op.type in ("Einsum", "Conv3D", "Conv2DBackpropInput"):
            raise ValueError(f"count_flops cannot count {op.type} ({op.name}) in {model.name}.")
    return 2 * macs


def _elements(shape):
    return math.prod(shape.as_list())


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
            f"{count_flops(model) / 1e9:.2f} | {size} | {_tags(name)} |",
            flush=True,
        )
        del model


if __name__ == "__main__":
    app.run(main)
