"""tf.distribute: 2-replica MirroredStrategy and 2-worker MultiWorkerMirroredStrategy."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_mlp.training  # noqa: F401  (registers what load_model needs)

from tests.testing import REPO_ROOT, TestCase, run_on_backend

# A tiny deterministic fit whose per-epoch losses and final weights it prints.
FIT = """
import json, os, sys
import numpy as np, tensorflow as tf, keras, keras_mlp
from keras_mlp.training import get_strategy
{setup}
scope, replicas = get_strategy("{strategy}")  # before any op: collectives need it
keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
rng = np.random.RandomState(0)
x = rng.uniform(-1, 1, (64, 16, 16, 3)).astype("float32")
y = rng.randint(0, 4, 64)
with scope:
    model = keras_mlp.MLPMixer(patch_size=4, hidden_dim=16, num_blocks=1, tokens_mlp_dim=8,
                               channels_mlp_dim=16, input_shape=(16, 16, 3), classes=4)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).with_options(options)
history = model.fit(dataset, epochs=2, verbose=0)
print(json.dumps({{"replicas": replicas, "loss": history.history["loss"],
                  "weights": float(sum(np.abs(w).sum() for w in model.get_weights()))}}))
"""

TWO_CPUS = """
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
"""


def last_json(output):
    return json.loads(output.strip().splitlines()[-1])


class DistributionTest(TestCase):
    @pytest.mark.slow
    def test_mirrored_two_replicas_match_one_device(self):
        single = last_json(run_on_backend("tensorflow", FIT.format(setup="", strategy="one_device")))
        mirrored = last_json(
            run_on_backend(
                "tensorflow",
                FIT.format(setup=TWO_CPUS, strategy="mirrored"),
            )
        )
        self.assertEqual(single["replicas"], 1)
        self.assertEqual(mirrored["replicas"], 2)
        self.assertAllClose(mirrored["loss"], single["loss"], rtol=1e-4)
        self.assertAllClose(mirrored["weights"], single["weights"], rtol=1e-4)

    @pytest.mark.slow
    def test_multi_worker_over_loopback(self):
        code = textwrap.dedent(FIT.format(setup="", strategy="multi_worker"))
        outputs = [last_json(out) for out in run_two_workers([sys.executable, "-c", code])]
        self.assertEqual([o["replicas"] for o in outputs], [2, 2])
        # Both workers apply the same all-reduced updates.
        self.assertAllClose(outputs[0]["weights"], outputs[1]["weights"], rtol=1e-6)
        self.assertEqual(outputs[0]["loss"], outputs[1]["loss"])
        self.assertTrue(np.isfinite(outputs[0]["loss"]).all())

    @pytest.mark.slow
    def test_train_script_on_two_workers(self):
        model_dir = os.path.join(self.get_temp_dir(), "run")
        run_two_workers([
            sys.executable, os.path.join(REPO_ROOT, "examples", "train.py"),
            "--strategy=multi_worker", "--epochs=1", "--steps_per_epoch=3",
            "--batch_size=32", "--image_size=16", f"--model_dir={model_dir}",
        ])
        chief = keras.saving.load_model(os.path.join(model_dir, "final.keras"))
        worker = keras.saving.load_model(
            os.path.join(model_dir, "workers", "worker_1", "final.keras")
        )
        for a, b in zip(chief.get_weights(), worker.get_weights()):
            np.testing.assert_array_equal(a, b)
        self.assertTrue(os.path.exists(os.path.join(model_dir, "history.csv")))


def run_two_workers(command):
    """Runs `command` as workers 0 and 1 of a loopback cluster; their stdouts."""
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    processes = []
    for index in range(2):
        env = dict(
            os.environ,
            KERAS_BACKEND="tensorflow",
            PYTHONPATH=REPO_ROOT,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        processes.append(
            subprocess.Popen(
                command, env=env, cwd=REPO_ROOT,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        )
    outputs = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=240)
            if process.returncode != 0:
                raise AssertionError(f"worker failed:\n{err[-3000:]}")
            outputs.append(out)
    finally:
        for process in processes:
            process.kill()
    return outputs
