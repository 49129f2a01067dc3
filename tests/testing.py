"""Shared test helpers: layer checks and runs on other Keras backends."""

import contextlib
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import tensorflow as tf

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TestCase(tf.test.TestCase):
    """`tf.test.TestCase` with the checks every keras_mlp layer must pass."""

    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(0)

    def run_layer_test(
        self,
        layer_cls,
        init_kwargs,
        input_shape,
        expected_output_shape,
        expected_num_trainable_weights=None,
        expected_num_non_trainable_weights=0,
    ):
        """Builds, calls, and round-trips a layer through config and `.keras`."""
        layer = layer_cls(**init_kwargs)
        x = np.random.RandomState(0).normal(size=input_shape).astype("float32")
        y = layer(x)
        self.assertEqual(tuple(y.shape), tuple(expected_output_shape))
        self.assertEqual(
            tuple(layer.compute_output_shape(input_shape)), tuple(expected_output_shape)
        )
        if expected_num_trainable_weights is not None:
            self.assertLen(layer.trainable_weights, expected_num_trainable_weights)
        self.assertLen(layer.non_trainable_weights, expected_num_non_trainable_weights)

        config = layer.get_config()
        for key, value in init_kwargs.items():
            self.assertIn(key, config)
        clone = layer_cls.from_config(json.loads(json.dumps(config)))
        self.assertEqual(clone.get_config(), config)

        inputs = keras.Input(input_shape[1:], batch_size=input_shape[0])
        model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(model(x), restored(x), atol=1e-6)
        return layer

    def assertDependsOnTheInput(self, model, x, shape, atol, what="outputs"):
        """Returns `model(x)` (inference mode) after checking that it has
        `shape`, is finite and differs between the first two inputs by more
        than `atol`: a model whose outputs ignore its input passes no check."""
        y = keras.ops.convert_to_numpy(model(x, training=False))
        self.assertEqual(y.shape, shape)
        self.assertTrue(np.all(np.isfinite(y)), f"{what} are not finite")
        self.assertGreater(np.abs(y[0] - y[1]).max(), atol, f"{what} do not depend on the input")
        return y

    @contextlib.contextmanager
    def assertRaisesAndKeepsWeights(self, model, error, message=""):
        """Expects the body to raise `error` matching `message`, leaving every
        weight of `model` as it was: a refused load must load nothing."""
        before = [np.array(v.numpy()) for v in model.weights]
        with self.assertRaisesRegex(error, message) as context:
            yield context
        for variable, value in zip(model.weights, before):
            self.assertAllEqual(variable.numpy(), value)


def trainable_params(model):
    """What PyTorch's `parameters()` counts: BatchNorm running statistics are
    buffers there, non-trainable weights here."""
    return sum(int(np.prod(v.shape)) for v in model.trainable_weights)


def randomize_weights(layer, seed=1):
    """Draws every variable of a built `layer` at random (none left at an
    identity-like initial value); returns `{path below the layer: array}`."""
    rng = np.random.RandomState(seed)
    for variable in layer.weights:
        variable.assign(rng.normal(size=variable.shape).astype(variable.dtype))
    return {v.path.split("/", 1)[1]: np.asarray(v.numpy()) for v in layer.weights}


def layer_norm(x, gamma, beta, epsilon):
    """LayerNormalization over the last axis, in NumPy."""
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def run_on_backend(backend, code, timeout=600):
    """Runs `code` in a fresh interpreter with `KERAS_BACKEND=backend`.

    A backend is chosen once per process, so other backends need their own.
    Returns the process' stdout; fails with its stderr.
    """
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{backend} backend run failed:\n{result.stdout}\n{result.stderr[-4000:]}"
        )
    return result.stdout
