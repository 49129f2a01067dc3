"""CycleMLP checkpoints: the official layout, the `offset` buffers, logits
equal to the official code's (its `deform_conv2d` CycleFC) on every backend,
and the errors a wrong file gets."""

import os

import torch

import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.weights import cyclemlp_checkpoints
from keras_mlp.weights.checkpoint_io import CheckpointError
from keras_mlp.weights.loading import WeightsSource, load_weights
from tests.reference import cyclemlp_official, torch_parity, wavemlp_official
from tests.testing import TestCase, run_on_backend

TINY = dict(embed_dims=(8, 16, 24, 32), depths=(1, 2, 1, 1), mlp_ratios=(2, 2, 4, 4))
OFFICIAL_TINY = dict(layers=TINY["depths"], embed_dims=TINY["embed_dims"], mlp_ratios=TINY["mlp_ratios"])
SIZE = (32, 48)


def tiny_model(**kwargs):
    return keras_mlp.CycleMLP(**TINY, input_shape=(*SIZE, 3), classes=1000, classifier_activation=None, **kwargs)


def images(size, batch=2):
    return np.random.RandomState(0).uniform(-1, 1, (batch, *size, 3)).astype("float32")


class CycleMLPCheckpointsTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.reference = torch_parity.randomized(cyclemlp_official.CycleNet(**OFFICIAL_TINY))
        self.path = torch_parity.save(self.reference, self.get_temp_dir(), "CycleMLP_tiny.pth")

    def test_layout_covers_every_key_but_the_offsets(self):
        state = {k: v.numpy() for k, v in self.reference.state_dict().items()}
        offsets = [k for k in state if k.endswith(".offset")]
        self.assertLen(offsets, 2 * sum(TINY["depths"]))
        self.assertEqual(cyclemlp_checkpoints.OFFICIAL_CYCLEMLP.coverage(state), len(state) - len(offsets))
        converted, unknown = cyclemlp_checkpoints.OFFICIAL_CYCLEMLP.convert(state)
        self.assertEmpty(unknown)
        self.assertLen(converted, len(state) - len(offsets))

    def test_logits_match_the_official_code(self):
        model = tiny_model(weights=self.path)
        x = images(SIZE)
        torch_parity.assert_logits_match(self, model, x, torch_parity.logits(self.reference, x))

    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_logits_match_the_official_code_on_backend(self, backend):
        folder = self.get_temp_dir()
        x = images(SIZE)
        np.save(os.path.join(folder, "images.npy"), x)
        run_on_backend(
            backend,
            f"""
            import keras, numpy as np, keras_mlp
            model = keras_mlp.CycleMLP(**{TINY!r}, input_shape={(*SIZE, 3)!r}, weights={self.path!r},
                                       classifier_activation=None)
            out = model(np.load({os.path.join(folder, "images.npy")!r}))
            np.save({os.path.join(folder, "out.npy")!r}, keras.ops.convert_to_numpy(out))
            """,
        )
        actual = np.load(os.path.join(folder, "out.npy"))
        self.assertLessEqual(torch_parity.relative_error(actual, torch_parity.logits(self.reference, x)), 1e-4)

    def test_other_offsets_are_refused_and_leave_the_model_untouched(self):
        state = self.reference.state_dict()
        state["network.2.1.attn.sfc_w.offset"] = torch.flip(state["network.2.1.attn.sfc_w.offset"], (1,))
        path = os.path.join(self.get_temp_dir(), "modified.pth")
        torch.save({"model": state}, path)
        self.assert_refused(path, r"network\.2\.1\.attn\.sfc_w\.offset.*other than the official CycleFC's")

    def test_a_wave_mlp_checkpoint_is_refused(self):
        wave = wavemlp_official.WaveNet(**OFFICIAL_TINY)
        path = os.path.join(self.get_temp_dir(), "WaveMLP_T.pth.tar")
        torch.save({"state_dict": wave.state_dict()}, path)
        self.assert_refused(path, r"(?s)nothing was loaded.*attn\.tfc_.*to Wave-MLP")

    def test_another_variant_is_refused(self):
        other = cyclemlp_official.CycleNet(**dict(OFFICIAL_TINY, mlp_ratios=(4, 4, 4, 4)))
        path = torch_parity.save(other, self.get_temp_dir(), "other.pth")
        self.assert_refused(path, r"(?s)different shapes:.*stage0_block_0/mlp/fc1/kernel: checkpoint \(8, 32\), model \(8, 16\)")

    def test_a_truncated_file_is_refused(self):
        path = os.path.join(self.get_temp_dir(), "truncated.pth")
        with open(self.path, "rb") as f, open(path, "wb") as g:
            g.write(f.read()[:2000])
        self.assert_refused(path, "truncated or corrupt")

    def assert_refused(self, path, message):
        model = tiny_model()
        with self.assertRaisesAndKeepsWeights(model, CheckpointError, message):
            load_weights(model, WeightsSource(path, "cyclemlp"), cyclemlp_checkpoints.SPEC)

    @parameterized.parameters(*sorted(cyclemlp_official.CONFIGS))
    @pytest.mark.slow
    def test_registered_size_matches_the_official_code(self, name):
        reference = torch_parity.randomized(cyclemlp_official.create(name), std=0.02)
        path = torch_parity.save(reference, self.get_temp_dir(), f"{name}.pth")
        for size in ((224, 224), (160, 224)):
            model = keras_mlp.create_model(name, weights=path, classifier_activation=None, input_shape=(*size, 3))
            x = images(size)
            torch_parity.assert_logits_match(self, model, x, torch_parity.logits(reference, x))

    @parameterized.parameters("jax", "torch")
    @pytest.mark.slow
    def test_b1_matches_the_official_code_on_backend(self, backend):
        reference = torch_parity.randomized(cyclemlp_official.create("cyclemlp_b1"), std=0.02)
        path = torch_parity.save(reference, self.get_temp_dir(), "CycleMLP_B1.pth")
        inputs = [images(size) for size in ((224, 224), (160, 224))]
        outputs = torch_parity.logits_on_backend(backend, "cyclemlp_b1", path, inputs, self.get_temp_dir())
        for x, actual in zip(inputs, outputs):
            self.assertLessEqual(torch_parity.relative_error(actual, torch_parity.logits(reference, x)), 1e-4)
