"""Teaches tf2onnx (the converter behind `model.export(format="onnx")` on the
TensorFlow backend) the `Erfc` op.

TensorFlow computes the exact GELU as `0.5 * x * erfc(-x / sqrt(2))`; ONNX
has `Erf` but no `Erfc`, and tf2onnx 1.17 has no rule for it, so every model
with an exact GELU (MLP-Mixer with timm weights, the feed-forward ViT) would
export to an invalid graph. Importing this module registers the rule.
"""

import numpy as np
from tf2onnx import utils
from tf2onnx.handler import tf_op


@tf_op("Erfc")
class Erfc:
    @classmethod
    def version_9(cls, ctx, node, **kwargs):
        # erfc(x) = 1 - erf(x); ONNX Erf exists since opset 9.
        dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
        erf = ctx.make_node("Erf", [node.input[0]], op_name_scope=node.name)
        one = ctx.make_const(utils.make_name(f"{node.name}_one"), np.array(1, dtype))
        node.type = "Sub"
        ctx.replace_inputs(node, [one.output[0], erf.output[0]])
