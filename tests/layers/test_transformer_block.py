"""ViT/DeiT layers: MultiHeadSelfAttention, TransformerBlock, ClassTokenEmbedding."""

import functools

import timm
import torch
from timm.models.vision_transformer import Attention

import numpy as np
from absl.testing import parameterized

from keras_mlp.layers import ClassTokenEmbedding, MultiHeadSelfAttention, TransformerBlock
from tests.reference import torch_parity
from tests.testing import TestCase


class MultiHeadSelfAttentionTest(TestCase, parameterized.TestCase):
    def test_layer(self):
        self.run_layer_test(
            MultiHeadSelfAttention,
            dict(num_heads=2, qkv_bias=False, dropout_rate=0.1),
            input_shape=(2, 7, 8),
            expected_output_shape=(2, 7, 8),
            expected_num_trainable_weights=3,
        )

    def test_matches_timm_attention(self):
        reference = torch_parity.randomized(Attention(dim=12, num_heads=3, qkv_bias=True), std=0.3)
        layer = MultiHeadSelfAttention(num_heads=3)
        x = np.random.RandomState(0).normal(size=(2, 5, 12)).astype("float32")
        layer.build(x.shape)
        layer.qkv.kernel.assign(reference.qkv.weight.detach().numpy().T)
        layer.qkv.bias.assign(reference.qkv.bias.detach().numpy())
        layer.proj.kernel.assign(reference.proj.weight.detach().numpy().T)
        layer.proj.bias.assign(reference.proj.bias.detach().numpy())
        with torch.no_grad():
            expected = reference(torch.from_numpy(x)).numpy()
        self.assertAllClose(layer(x), expected, atol=1e-5)

    def test_heads_must_divide_channels(self):
        with self.assertRaisesRegex(ValueError, "must divide the input channels"):
            MultiHeadSelfAttention(num_heads=5).build((None, 4, 12))

    def test_invalid_num_heads(self):
        with self.assertRaisesRegex(ValueError, "num_heads"):
            MultiHeadSelfAttention(num_heads=0)


class TransformerBlockTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(
        dict(mlp_ratio=4.0, num_weights=12),
        dict(mlp_ratio=None, num_weights=6),
    )
    def test_layer(self, mlp_ratio, num_weights):
        self.run_layer_test(
            TransformerBlock,
            dict(num_heads=2, mlp_ratio=mlp_ratio, drop_path_rate=0.1, dropout_rate=0.1),
            input_shape=(2, 7, 8),
            expected_output_shape=(2, 7, 8),
            expected_num_trainable_weights=num_weights,
        )

    def test_deit_tiny_block_size(self):
        block = TransformerBlock(num_heads=3)
        block.build((None, 197, 192))
        self.assertEqual(block.count_params(), 444_864)  # timm deit_tiny blocks[0]

    def test_matches_timm_block(self):
        reference = torch_parity.randomized(
            timm.models.vision_transformer.Block(
                dim=16, num_heads=2, qkv_bias=True, norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6)
            ),
            std=0.3,
        )
        block = TransformerBlock(num_heads=2)
        x = np.random.RandomState(0).normal(size=(2, 5, 16)).astype("float32")
        block.build(x.shape)
        state = {k: v.detach().numpy() for k, v in reference.state_dict().items()}
        for variable in block.weights:
            layer, kind = variable.path.split("/")[-2:]
            key = {"norm1": "norm1", "norm2": "norm2", "qkv": "attn.qkv",
                   "proj": "attn.proj", "fc1": "mlp.fc1", "fc2": "mlp.fc2"}[layer]
            array = state[f"{key}.{'bias' if kind in ('bias', 'beta') else 'weight'}"]
            variable.assign(array.T if kind == "kernel" else array)
        with torch.no_grad():
            expected = reference(torch.from_numpy(x)).numpy()
        self.assertAllClose(block(x), expected, atol=1e-5)

    @parameterized.parameters(
        dict(kwargs=dict(num_heads=0), message="num_heads"),
        dict(kwargs=dict(num_heads=2, mlp_ratio=-1.0), message="mlp_ratio"),
        dict(kwargs=dict(num_heads=2, drop_path_rate=1.0), message="drop_path_rate"),
        dict(kwargs=dict(num_heads=2, dropout_rate=1.0), message="dropout_rate"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            TransformerBlock(**kwargs)


class ClassTokenEmbeddingTest(TestCase):
    def test_layer(self):
        layer = self.run_layer_test(
            ClassTokenEmbedding,
            dict(embeddings_initializer="ones"),
            input_shape=(2, 9, 4),
            expected_output_shape=(2, 10, 4),
            expected_num_trainable_weights=2,
        )
        self.assertEqual(layer.position_embedding.shape, (1, 10, 4))

    def test_prepends_class_token_and_adds_positions(self):
        layer = ClassTokenEmbedding()
        x = np.random.RandomState(0).normal(size=(2, 3, 4)).astype("float32")
        y = np.asarray(layer(x))
        positions = layer.position_embedding.numpy()[0]
        self.assertAllClose(y[:, 0], np.broadcast_to(layer.class_token.numpy()[0, 0] + positions[0], (2, 4)))
        self.assertAllClose(y[:, 1:], x + positions[1:])

    def test_unknown_patch_count_is_refused(self):
        with self.assertRaisesRegex(ValueError, "known number of patches"):
            ClassTokenEmbedding().build((None, None, 4))
