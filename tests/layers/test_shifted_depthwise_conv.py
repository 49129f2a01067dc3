"""A depthwise conv as a sum of shifted taps under XLA: DepthwiseConv2D's outputs."""

import contextlib

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_mlp.layers import ShiftedDepthwiseConv2D
from keras_mlp.layers.shifted_depthwise_conv import tracing_for_xla
from tests.testing import TestCase, run_on_backend


def pair(kernel_size, padding, use_bias=False, activation=None, **kwargs):
    arguments = dict(padding=padding, use_bias=use_bias, activation=activation, **kwargs)
    ours = ShiftedDepthwiseConv2D(kernel_size, **arguments)
    theirs = keras.layers.DepthwiseConv2D(kernel_size, **arguments)
    return ours, theirs


class ShiftedDepthwiseConv2DTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(
        ((1, 7), "same"), ((7, 1), "same"), ((3, 3), "same"), ((2, 4), "same"), ((3, 2), "valid"),
    )
    def test_xla_form_matches_depthwise_conv2d(self, kernel_size, padding):
        x = np.random.RandomState(0).normal(size=(2, 6, 9, 5)).astype("float32")
        ours, theirs = pair(kernel_size, padding, use_bias=True, activation="relu")
        ours.build(x.shape)
        theirs.build(x.shape)
        weights = [np.random.RandomState(i + 1).normal(size=w.shape) for i, w in enumerate(ours.get_weights())]
        ours.set_weights(weights)
        theirs.set_weights(weights)
        with tracing_for_xla():
            outputs = ours(x)
        self.assertAllClose(outputs, theirs(x), atol=1e-5)
        self.assertAllClose(ours(x), theirs(x), atol=1e-5)

        # The shifted sum's own gradient (input, kernel, bias) is the conv's.
        def gradients(layer):
            images = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(images)
                loss = tf.reduce_sum(tf.sin(layer(images)))
            return tape.gradient(loss, [images, *layer.trainable_variables])

        with tracing_for_xla():
            ours_gradients = gradients(ours)
        for a, b in zip(ours_gradients, gradients(theirs), strict=True):
            self.assertAllClose(a, b, rtol=1e-5, atol=1e-5)

    def test_xla_trace_has_no_depthwise_conv_op(self):
        # The form is chosen while tracing: only the marked trace drops the
        # backend's depthwise op, which XLA's CPU backend runs 10-40x slower.
        layer = ShiftedDepthwiseConv2D((1, 7), padding="same", use_bias=False)
        layer.build((1, 8, 8, 4))

        def op_types(xla):
            def forward(x):
                with tracing_for_xla() if xla else contextlib.nullcontext():
                    return layer(x)

            graph = tf.function(forward).get_concrete_function(tf.TensorSpec((1, 8, 8, 4))).graph
            return {op.type for op in graph.get_operations()}

        self.assertIn("DepthwiseConv2dNative", op_types(xla=False))
        self.assertNotIn("DepthwiseConv2dNative", op_types(xla=True))

    def test_gradient_is_one_shifted_sum_not_a_pass_per_tap(self):
        # Autodiff of the forward sum writes each tap's padded product out
        # (a StridedSliceGrad per tap); the layer's own gradient has none.
        layer = ShiftedDepthwiseConv2D((3, 3), padding="same", use_bias=False)
        layer.build((1, 8, 8, 4))

        @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 4))])
        def input_gradient(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                with tracing_for_xla():
                    loss = tf.reduce_sum(layer(x))
            return tape.gradient(loss, x)

        graph = input_gradient.get_concrete_function().graph
        op_types = [op.type for op in graph.get_operations()]
        self.assertNotIn("StridedSliceGrad", op_types)
        self.assertNotIn("DepthwiseConv2dNativeBackpropInput", op_types)

    def test_unknown_map_size(self):
        layer = ShiftedDepthwiseConv2D((3, 3), padding="same", use_bias=False)
        layer.build((None, None, None, 4))
        x = np.random.RandomState(0).normal(size=(1, 5, 7, 4)).astype("float32")

        @tf.function(input_signature=[tf.TensorSpec((None, None, None, 4))])
        def forward(images):
            with tracing_for_xla():
                return layer(images)

        expected = keras.layers.DepthwiseConv2D((3, 3), padding="same", use_bias=False)
        expected.build(x.shape)
        expected.set_weights(layer.get_weights())
        self.assertAllClose(forward(x), expected(x), atol=1e-5)

    def test_strided_conv_keeps_the_backend_op(self):
        x = np.random.RandomState(0).normal(size=(1, 8, 8, 3)).astype("float32")
        ours, theirs = pair(3, "same", strides=2)
        ours.build(x.shape)
        theirs.build(x.shape)
        theirs.set_weights(ours.get_weights())
        with tracing_for_xla():
            self.assertAllClose(ours(x), theirs(x), atol=1e-6)

    def test_config_round_trip(self):
        layer = ShiftedDepthwiseConv2D((1, 7), padding="same", use_bias=False, name="tfc_h")
        restored = ShiftedDepthwiseConv2D.from_config(layer.get_config())
        self.assertEqual(
            (type(restored), restored.kernel_size, restored.padding, restored.name),
            (ShiftedDepthwiseConv2D, (1, 7), "same", "tfc_h"),
        )

    def test_jax_takes_the_xla_form_with_the_same_outputs_and_gradients(self):
        # JAX always compiles with XLA: the shifted sum is its only form here.
        output = run_on_backend(
            "jax",
            """
            import jax, keras, numpy as np
            from keras_mlp.layers import ShiftedDepthwiseConv2D
            x = np.random.RandomState(0).normal(size=(2, 6, 9, 5)).astype("float32")
            for kernel_size, padding in (((1, 7), "same"), ((2, 4), "same"), ((3, 2), "valid")):
                ours = ShiftedDepthwiseConv2D(kernel_size, padding=padding)
                theirs = keras.layers.DepthwiseConv2D(kernel_size, padding=padding)
                ours.build(x.shape)
                theirs.build(x.shape)
                theirs.set_weights([np.random.RandomState(1).normal(size=w.shape) for w in ours.get_weights()])
                ours.set_weights(theirs.get_weights())

                def loss(layer):
                    def f(variables, images):
                        y, _ = layer.stateless_call(variables, [], images)
                        return (y ** 2).sum()
                    return jax.grad(f, argnums=(0, 1))

                assert "conv_general_dilated" not in str(jax.make_jaxpr(ours.call)(x))
                assert "conv_general_dilated" in str(jax.make_jaxpr(theirs.call)(x))
                np.testing.assert_allclose(ours(x), theirs(x), atol=1e-5)
                ours_grads = loss(ours)([v.value for v in ours.trainable_variables], x)
                theirs_grads = loss(theirs)([v.value for v in theirs.trainable_variables], x)
                for a, b in zip(jax.tree_util.tree_leaves(ours_grads), jax.tree_util.tree_leaves(theirs_grads)):
                    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)
            print("ok")
            """,
        )
        self.assertIn("ok", output)
