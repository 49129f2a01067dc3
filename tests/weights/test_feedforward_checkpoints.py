"""Feed-forward-only ViT checkpoints: official layout round trip, timm/DeiT parity."""

import argparse
import functools
import os
import re

import safetensors.torch
import timm
import torch
import torch.nn.functional as F
from timm.layers import Mlp

import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import feedforward_checkpoints
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.key_mapping import conv_to_hwio, transpose
from tests.testing import TestCase, run_on_backend

# CI runs this file's slow tests (.ci/run: -m "slow and ci_parity").
pytestmark = pytest.mark.ci_parity


class OfficialLinearBlock(torch.nn.Module):
    """`LinearBlock` of lukemelas/do-you-even-need-attention (inference)."""

    def __init__(self, dim, num_tokens, mlp_ratio=4.0):
        super().__init__()
        norm = functools.partial(torch.nn.LayerNorm, eps=1e-6)
        self.mlp1 = Mlp(dim, int(dim * mlp_ratio))
        self.norm1 = norm(dim)
        self.mlp2 = Mlp(num_tokens, int(num_tokens * mlp_ratio))
        self.norm2 = norm(num_tokens)

    def forward(self, x):
        x = x + self.mlp1(self.norm1(x))
        x = x.transpose(-2, -1)
        x = x + self.mlp2(self.norm2(x))
        return x.transpose(-2, -1)


class OfficialLinearViT(torch.nn.Module):
    """`LinearVisionTransformer` with the official module and parameter names."""

    def __init__(self, patch_size, dim, depth, num_classes, grid):
        super().__init__()
        self.patch_embed = torch.nn.Module()
        self.patch_embed.proj = torch.nn.Conv2d(3, dim, patch_size, stride=patch_size)
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, dim) * 0.2)
        self.pos_encoding = torch.nn.Module()
        self.pos_encoding.pos_embed = torch.nn.Parameter(torch.randn(1, dim, *grid) * 0.2)
        self.pos_encoding.cls_pos_embed = torch.nn.Parameter(torch.randn(1, 1, dim) * 0.2)
        num_tokens = 1 + grid[0] * grid[1]
        self.blocks = torch.nn.ModuleList(
            OfficialLinearBlock(dim, num_tokens) for _ in range(depth)
        )
        self.norm = torch.nn.LayerNorm(dim, eps=1e-6)
        self.head = torch.nn.Linear(dim, num_classes)
        with torch.no_grad():
            for name, param in self.named_parameters():
                if "bias" in name or "norm" in name:
                    param.add_(torch.randn_like(param) * 0.2)

    def forward(self, images):
        x = self.patch_embed.proj(images)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x.flatten(2).transpose(1, 2)], dim=1)
        pos = self.pos_encoding.pos_embed.flatten(2).transpose(1, 2)
        x = x + torch.cat([self.pos_encoding.cls_pos_embed, pos], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])


def official_model(size="small", seed=0, classes=7):
    torch.manual_seed(seed)
    if size == "small":
        return OfficialLinearViT(8, 16, 2, classes, (4, 4)).eval()
    config = keras_mlp.models.feedforward_vit.MODEL_CONFIGS[size]
    side = 224 // config["patch_size"]
    return OfficialLinearViT(
        config["patch_size"], config["hidden_dim"], config["num_blocks"], classes, (side, side)
    ).eval()


def small_keras(token_mixer="feedforward", **kwargs):
    kwargs.setdefault("input_shape", (32, 32, 3))
    return keras_mlp.FeedForwardViT(
        patch_size=8, hidden_dim=16, num_blocks=2, num_heads=2, token_mixer=token_mixer,
        classifier_activation=None, **kwargs
    )


def torch_logits(model, images):
    with torch.no_grad():
        return model(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()


def random_images(batch, size, seed=0):
    return np.random.RandomState(seed).normal(size=(batch, size, size, 3)).astype("float32")


def assert_logits_match(test, model, reference, size):
    images = random_images(2, size)
    diff = np.max(np.abs(model.predict(images, verbose=0) - torch_logits(reference, images)))
    test.assertLessEqual(diff, 1e-4)


def check_official_checkpoint(test, size):
    """FeedForward{size} from a full-size official training checkpoint gives its logits."""
    reference = official_model(size, classes=1000)
    path = os.path.join(test.get_temp_dir(), f"linear-{size}-checkpoint.pth")
    save_deit_training_checkpoint(reference, path)
    model = keras_mlp.create_model(f"feedforward_{size}", weights=path, classifier_activation=None)
    assert_logits_match(test, model, reference, 224)


def check_deit_checkpoint(test, size):
    """A timm DeiT-{size} `{"model": state_dict}` file into the attention arm gives timm's logits."""
    reference = timm_vit(f"deit_{size}_patch16_224")
    path = os.path.join(test.get_temp_dir(), f"deit_{size}_patch16_224.pth")
    torch.save({"model": reference.state_dict()}, path)
    model = keras_mlp.create_model(
        f"feedforward_{size}", weights=path, token_mixer="attention", classifier_activation=None
    )
    assert_logits_match(test, model, reference, 224)


def save_deit_training_checkpoint(model, path):
    """As DeiT's main.py saves: weights under "model", next to run state."""
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": torch.optim.AdamW(model.parameters()).state_dict(),
            "epoch": 299,
            "args": argparse.Namespace(model="linear_tiny", drop=0.1, lr=5e-4),
        },
        path,
    )


def timm_vit(name, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = timm.create_model(name, pretrained=False, **kwargs).eval()
    with torch.no_grad():
        for key, param in model.named_parameters():
            if key.startswith(("head", "cls_token", "pos_embed")) or "bias" in key or "norm" in key:
                param.normal_(0.0, 0.2)
    return model


def keras_to_official(model, state_keys):
    """Inverse of OFFICIAL_FEEDFORWARD: Keras weights under the official names."""
    variables = {v.path: v.numpy() for v in model.weights}
    inverse = {transpose: np.transpose, conv_to_hwio: lambda a: np.transpose(a, (3, 2, 0, 1))}
    state = {}
    for key in state_keys:
        if key.startswith("pos_encoding."):
            continue
        for pattern, template, fn in feedforward_checkpoints.OFFICIAL_FEEDFORWARD.rules:
            match = re.fullmatch(pattern, key)
            if match:
                array = variables[match.expand(template)]
                state[key] = inverse[fn](array) if fn else array
                break
    table = variables[feedforward_checkpoints.POSITION_EMBEDDING]
    side = int(round((table.shape[1] - 1) ** 0.5))
    state["pos_encoding.cls_pos_embed"] = table[:, :1]
    state["pos_encoding.pos_embed"] = table[0, 1:].reshape(side, side, -1).transpose(2, 0, 1)[None]
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}


class OfficialLayoutTest(TestCase):
    def test_official_checkpoint_loads_with_equal_logits(self):
        reference = official_model()
        path = os.path.join(self.get_temp_dir(), "linear-small-checkpoint.pth")
        save_deit_training_checkpoint(reference, path)
        model = small_keras(weights=path, classes=7)
        assert_logits_match(self, model, reference, 32)

    def test_keras_weights_map_back_to_official_names(self):
        reference = official_model()
        model = small_keras(classes=7)
        for variable in model.weights:
            variable.assign(np.random.RandomState(3).normal(0, 0.2, variable.shape))
        reference.load_state_dict(keras_to_official(model, reference.state_dict()), strict=True)
        images = random_images(2, 32)
        self.assertAllClose(model(images), torch_logits(reference, images), atol=1e-4)

    def test_feedforward_tiny_from_official_checkpoint(self):
        check_official_checkpoint(self, "tiny")

    def test_other_resolution_resamples_the_token_mlp(self):
        path = os.path.join(self.get_temp_dir(), "ff.pth")
        save_deit_training_checkpoint(official_model(), path)
        trained = small_keras(weights=path, classes=7, input_shape=(32, 32, 3))
        for shape, tokens in (((64, 64, 3), 65), ((32, 48, 3), 25), ((16, 16, 3), 5)):
            with self.subTest(shape=shape):
                model = small_keras(weights=path, classes=7, input_shape=shape)
                fc1 = model.get_layer("block_0").mlp2.fc1.kernel
                self.assertEqual(tuple(fc1.shape), (tokens, int(tokens * 4)))
                # The class token's row is the checkpoint's.
                old = trained.get_layer("block_0").mlp2.fc1.kernel
                width = min(old.shape[1], fc1.shape[1])
                self.assertAllClose(fc1[0, :width], old[0, :width])

    def test_attention_checkpoint_into_feedforward_model(self):
        path = os.path.join(self.get_temp_dir(), "deit.safetensors")
        safetensors.torch.save_file(timm_vit("deit_tiny_patch16_224").state_dict(), path)
        model = keras_mlp.FeedForwardTiny()
        with self.assertRaisesAndKeepsWeights(model, CheckpointError, "nothing was loaded") as ctx:
            keras_mlp.FeedForwardTiny(weights=path)
        self.assertIn("block_0/attn/qkv/kernel", str(ctx.exception))
        self.assertIn("block_0/mlp1/fc1/kernel", str(ctx.exception))

    def test_corrupt_pos_encoding_is_reported(self):
        state = official_model().state_dict()
        del state["pos_encoding.cls_pos_embed"]
        path = os.path.join(self.get_temp_dir(), "broken.pth")
        torch.save({"model": state}, path)
        with self.assertRaisesRegex(CheckpointError, "pos_encoding.pos_embed"):
            small_keras(weights=path, classes=7)


class TimmParityTest(TestCase):
    def test_deit_tiny_logits_match_timm(self):
        check_deit_checkpoint(self, "tiny")

    def test_attention_only_matches_timm_without_mlps(self):
        class Zero(torch.nn.Module):
            def forward(self, x):
                return torch.zeros_like(x)

        reference = timm_vit("vit_tiny_patch16_224", img_size=32, patch_size=8, depth=2, num_classes=5)
        for block in reference.blocks:
            block.norm2, block.mlp = torch.nn.Identity(), Zero()
        path = os.path.join(self.get_temp_dir(), "attention_only.safetensors")
        safetensors.torch.save_file(reference.state_dict(), path)
        model = keras_mlp.FeedForwardViT(
            8, 192, 2, 3, token_mixer="attention_only", weights=path, input_shape=(32, 32, 3),
            classes=5, classifier_activation=None,
        )
        images = random_images(2, 32)
        self.assertAllClose(model(images), torch_logits(reference, images), atol=1e-4)

    def test_position_embedding_resized_bilinearly(self):
        reference = timm_vit("deit_tiny_patch16_224", num_classes=3)
        path = os.path.join(self.get_temp_dir(), "deit.safetensors")
        safetensors.torch.save_file(reference.state_dict(), path)
        state = reference.state_dict()
        grid = state["pos_embed"][:, 1:].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(10, 8), mode="bilinear", align_corners=False)
        state["pos_embed"] = torch.cat(
            [state["pos_embed"][:, :1], grid.flatten(2).transpose(1, 2)], dim=1
        )
        resized = timm.create_model(
            "deit_tiny_patch16_224", img_size=(160, 128), num_classes=3
        ).eval()
        resized.load_state_dict(state)
        model = keras_mlp.DeiTTiny(
            weights=path, input_shape=(160, 128, 3), classes=3, classifier_activation=None
        )
        images = np.random.RandomState(0).normal(size=(2, 160, 128, 3)).astype("float32")
        self.assertAllClose(model(images), torch_logits(resized, images), atol=1e-4)

    def test_distilled_deit_is_refused(self):
        path = os.path.join(self.get_temp_dir(), "distilled.pth")
        torch.save(timm_vit("deit_tiny_distilled_patch16_224").state_dict(), path)
        with self.assertRaisesRegex(CheckpointError, "dist_token"):
            keras_mlp.DeiTTiny(weights=path)


class BackendLoadingTest(TestCase, parameterized.TestCase):
    # Other backends run in a subprocess each: CI's slow selection runs them.
    @parameterized.parameters(["jax", "torch"])
    @pytest.mark.slow
    def test_resized_attention_checkpoint_on_backend(self, backend):
        reference = timm_vit("vit_tiny_patch16_224", img_size=32, patch_size=8, depth=2, num_classes=5)
        path = os.path.join(self.get_temp_dir(), "vit.safetensors")
        safetensors.torch.save_file(reference.state_dict(), path)
        images = random_images(2, 48)
        np.save(os.path.join(self.get_temp_dir(), "images.npy"), images)
        kwargs = dict(token_mixer="attention", input_shape=(48, 48, 3), classes=5,
                      classifier_activation=None)
        expected = keras_mlp.FeedForwardViT(8, 192, 2, 3, weights=path, **kwargs)(images)
        run_on_backend(
            backend,
            f"""
            import keras, numpy as np, keras_mlp
            model = keras_mlp.FeedForwardViT(8, 192, 2, 3, weights={path!r}, **{kwargs!r})
            images = np.load({os.path.join(self.get_temp_dir(), "images.npy")!r})
            np.save({os.path.join(self.get_temp_dir(), "out.npy")!r}, keras.ops.convert_to_numpy(model(images)))
            """,
        )
        self.assertAllClose(np.load(os.path.join(self.get_temp_dir(), "out.npy")), expected, atol=1e-4)


@pytest.mark.slow
class BaseCheckpointTest(TestCase):
    """The paper's headline pair at full size: FF-Base and DeiT-Base."""

    def test_feedforward_base_from_official_checkpoint(self):
        check_official_checkpoint(self, "base")

    def test_deit_base_logits_match_timm(self):
        check_deit_checkpoint(self, "base")
