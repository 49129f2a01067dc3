"""Wave-MLP checkpoints: the official layout in timm's `train.py` wrapping,
logits equal to the official code's on every backend, and the errors a
wrong file gets."""

import os

import torch

import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import wavemlp_checkpoints
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.loading import WeightsSource, load_weights
from tests.reference import cyclemlp_official, torch_parity, wavemlp_official
from tests.testing import TestCase, run_on_backend

TINY = dict(embed_dims=(8, 16, 24, 32), depths=(1, 2, 1, 1), mlp_ratios=(2, 2, 4, 4))
OFFICIAL_TINY = dict(layers=TINY["depths"], embed_dims=TINY["embed_dims"], mlp_ratios=TINY["mlp_ratios"])
# keras_mlp arguments and official ones of the T*, T / S and M forms.
VARIANTS = {
    "t_dw": (dict(mode="depthwise"), dict(mode="depthwise")),
    "m": (dict(norm="group", downsample_norm=False), dict(norm_layer=wavemlp_official.group_norm, ds_use_norm=False)),
}
SIZE = (32, 48)


def reference(variant, seed=0):
    return randomized(wavemlp_official.WaveNet(**OFFICIAL_TINY, **VARIANTS[variant][1]), seed=seed)


def randomized(module, seed=0, std=0.2):
    """`torch_parity.randomized`, and BatchNorm statistics other than 0 and 1
    too, so that a mixed-up mean and variance cannot pass."""
    torch_parity.randomized(module, seed=seed, std=std)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
    return module


def tiny_model(variant, **kwargs):
    return keras_mlp.WaveMLP(
        **TINY, **VARIANTS[variant][0], input_shape=(*SIZE, 3), classifier_activation=None, **kwargs
    )


def images(size, batch=2):
    return np.random.RandomState(0).uniform(-1, 1, (batch, *size, 3)).astype("float32")


def save_train_py(folder, name, **states):
    """What timm's `train.py` saves: the weights beside other run state."""
    path = os.path.join(folder, name)
    torch.save({"epoch": 299, "arch": "WaveMLP", **{k: v.state_dict() for k, v in states.items()}}, path)
    return path


class WaveMLPCheckpointsTest(TestCase, parameterized.TestCase):
    @parameterized.parameters(("t_dw", True), ("m", False))
    def test_logits_match_the_official_code(self, variant, with_plain_state_dict):
        ref = reference(variant)
        if with_plain_state_dict:
            # `state_dict` is loaded, not the EMA weights beside it.
            states = dict(state_dict=ref, state_dict_ema=reference(variant, seed=1))
        else:
            states = dict(state_dict_ema=ref)
        path = save_train_py(self.get_temp_dir(), "w.pth.tar", **states)
        converted, unknown = wavemlp_checkpoints.OFFICIAL_WAVEMLP.convert(
            {k: v.numpy() for k, v in ref.state_dict().items()}
        )
        self.assertEmpty(unknown)
        x = images(SIZE)
        torch_parity.assert_logits_match(self, tiny_model(variant, weights=path), x, torch_parity.logits(ref, x))

    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_logits_match_the_official_code_on_backend(self, backend):
        folder = self.get_temp_dir()
        paths = {v: save_train_py(folder, f"{v}.pth.tar", state_dict=reference(v)) for v in VARIANTS}
        x = images(SIZE)
        np.save(os.path.join(folder, "images.npy"), x)
        run_on_backend(
            backend,
            f"""
            import keras, numpy as np, keras_mlp
            x = np.load({os.path.join(folder, "images.npy")!r})
            for variant, path in {paths!r}.items():
                kwargs = {({v: a for v, (a, _) in VARIANTS.items()})!r}[variant]
                model = keras_mlp.WaveMLP(**{TINY!r}, **kwargs, input_shape={(*SIZE, 3)!r}, weights=path,
                                          classifier_activation=None)
                np.save({folder!r} + f"/{{variant}}.npy", keras.ops.convert_to_numpy(model(x)))
            """,
        )
        for variant in VARIANTS:
            actual = np.load(os.path.join(folder, f"{variant}.npy"))
            expected = torch_parity.logits(reference(variant), x)
            self.assertLessEqual(torch_parity.relative_error(actual, expected), 1e-4)

    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_t_matches_the_official_code_on_backend(self, backend):
        ref = randomized(wavemlp_official.create("wavemlp_t"), std=0.02)
        path = save_train_py(self.get_temp_dir(), "WaveMLP_T.pth.tar", state_dict=ref)
        inputs = [images(size) for size in ((224, 224), (160, 224))]
        outputs = torch_parity.logits_on_backend(backend, "wavemlp_t", path, inputs, self.get_temp_dir())
        for x, actual in zip(inputs, outputs):
            self.assertLessEqual(torch_parity.relative_error(actual, torch_parity.logits(ref, x)), 1e-4)

    def test_a_cyclemlp_checkpoint_is_refused(self):
        path = torch_parity.save(cyclemlp_official.CycleNet(**OFFICIAL_TINY), self.get_temp_dir(), "c.pth")
        self.assert_refused("t_dw", path, r"(?s)nothing was loaded.*attn\.sfc_.*belong to CycleMLP")

    def test_another_variant_is_refused(self):
        # T* weights into T: the phase convs are 3x3 depthwise, not 1x1.
        path = save_train_py(self.get_temp_dir(), "t_dw.pth.tar", state_dict=reference("t_dw"))
        model = keras_mlp.WaveMLP(**TINY, input_shape=(*SIZE, 3))
        with self.assertRaisesAndKeepsWeights(
            model, CheckpointError, r"(?s)stage0_block_0/attn/theta_h/kernel: checkpoint \(3, 3, 8, 1\), model \(8, 8\)"
        ):
            load_weights(model, WeightsSource(path, "wavemlp"), wavemlp_checkpoints.SPEC)

    def test_a_truncated_file_is_refused(self):
        full = save_train_py(self.get_temp_dir(), "full.pth.tar", state_dict=reference("m"))
        path = os.path.join(self.get_temp_dir(), "truncated.pth.tar")
        with open(full, "rb") as f, open(path, "wb") as g:
            g.write(f.read()[:3000])
        self.assert_refused("m", path, "truncated or corrupt")

    def assert_refused(self, variant, path, message):
        model = tiny_model(variant)
        with self.assertRaisesAndKeepsWeights(model, CheckpointError, message):
            load_weights(model, WeightsSource(path, "wavemlp"), wavemlp_checkpoints.SPEC)

    @parameterized.parameters(*sorted(wavemlp_official.CONFIGS))
    @pytest.mark.slow
    def test_registered_size_matches_the_official_code(self, name):
        ref = randomized(wavemlp_official.create(name), std=0.02)
        path = save_train_py(self.get_temp_dir(), f"{name}.pth.tar", state_dict=ref)
        for size in ((224, 224), (160, 224)):
            model = keras_mlp.create_model(name, weights=path, classifier_activation=None, input_shape=(*size, 3))
            x = images(size)
            torch_parity.assert_logits_match(self, model, x, torch_parity.logits(ref, x))
