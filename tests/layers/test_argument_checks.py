"""Every layer checks its integer and ratio arguments the same way
(`keras_mlp.validation`): a bool is not a count, and the message names the
argument."""

from absl.testing import parameterized

from keras_mlp import layers
from tests.testing import TestCase


class ArgumentCheckTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(
        (layers.ConvBN, dict(filters=True, kernel_size=3), "filters"),
        (layers.ConvBN, dict(filters=8, kernel_size=3, padding=-1), "padding"),
        (layers.ConvBN, dict(filters=8, kernel_size=3, groups=0), "groups"),
        (layers.MLPMixerBlock, dict(tokens_mlp_dim=True, channels_mlp_dim=8), "tokens_mlp_dim"),
        (layers.MLP, dict(hidden_dim=True), "hidden_dim"),
        (layers.MLP, dict(hidden_dim=8, output_dim=0), "output_dim"),
        (layers.FeedForwardBlock, dict(mlp_ratio=True), "mlp_ratio"),
        (layers.TransformerBlock, dict(num_heads=True), "num_heads"),
        (layers.MultiHeadSelfAttention, dict(num_heads=0), "num_heads"),
        (layers.TransformerBlock, dict(num_heads=2, mlp_ratio=-1.0), "mlp_ratio"),
        (layers.RepMLPBlock, dict(h=True, w=4), "h"),
        (layers.RepMLPV1Block, dict(h=4, w=4, fc3_groups=0), "fc3_groups"),
        (layers.RepMLPBlock, dict(h=4, w=4, reparam_conv_k=(1, 2)), "reparam_conv_k"),
        (layers.RepMLPV1Block, dict(h=4, w=4, reparam_conv_k=(True,)), "reparam_conv_k"),
        (layers.ConvBN, dict(filters=6, kernel_size=1, groups=4), "filters"),
        (layers.TokensToGrid, dict(grid=(2, True)), "grid"),
        (layers.TokensToGrid, dict(grid=(2, 2), prefix_tokens=True), "prefix_tokens"),
        (layers.AdaptiveAveragePooling2D, dict(output_size=True), "output_size"),
        (layers.CycleFC, dict(units=8, kernel_size=(3, 3)), "kernel_size"),
        (layers.CycleFC, dict(units=8, kernel_size=(1, True)), "kernel_size"),
        (layers.ArcFace, dict(num_classes=4, margin=2.0), "margin"),
        (layers.MLPMixerBlock, dict(tokens_mlp_dim=4, channels_mlp_dim=8, dropout_rate=1.0), "dropout_rate"),
        (layers.MLPMixerBlock, dict(tokens_mlp_dim=4, channels_mlp_dim=8, layer_norm_epsilon=0), "layer_norm_epsilon"),
        (layers.FeedForwardBlock, dict(layer_norm_epsilon=-1.0), "layer_norm_epsilon"),
        (layers.TransformerBlock, dict(num_heads=2, layer_norm_epsilon=0.0), "layer_norm_epsilon"),
    )
    def test_refused_with_the_argument_named(self, layer_cls, kwargs, argument):
        with self.assertRaisesRegex(ValueError, f"`{argument}` must be .* Received: {argument}="):
            layer_cls(**kwargs)


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
