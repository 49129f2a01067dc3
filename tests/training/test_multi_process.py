"""JAX across processes (`--strategy=multi_process`) and model parallelism.

The fast tests: the checks that come before any process joins, the input
shards, the layout maps. The slow ones run `examples/train.py` over 127.0.0.1,
each process JAX on 2 CPU devices (`--xla_force_host_platform_device_count`)
with gloo collectives between processes; the reference is one process with 4.
"""

import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from unittest import mock

import keras
import numpy as np
import pytest

import keras_mlp.training  # noqa: F401  (registers what load_model needs)
from keras_mlp.classification import trainer
from keras_mlp.training import multi_process
from keras_mlp.training.model_parallel import LAYOUTS, layout_map
from tests.data.folders import image_folder
from tests.testing import REPO_ROOT, TestCase

# docs/training.md shows these; the slow tests run them with loopback addresses and tiny sizes.
MULTI_HOST = (
    "python examples/train.py --strategy=multi_process --coordinator_address=10.0.0.1:1234 "
    "--num_processes=2 --process_id=0 --model_dir=/shared/runs/mixer_b16"
)
MODEL_PARALLEL = "python examples/train.py --model=mixer_l16 --model_parallel=2"
TINY = ["--model=mixer_s32", "--image_size=32", "--batch_size=8", "--deterministic"]
# 16 training images of 4 classes: an epoch is two global batches, and its
# order a function of (seed, epoch) alone, so a resumed run sees the batches
# of an uninterrupted one (`--steps_per_epoch` streams on across epochs).
FOLDER = {**{f"train/{c}": 4 for c in "abcd"}, **{f"test/{c}": 2 for c in "abcd"}}
TIMEOUT = 900


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(flags, devices, process_id=None, num_processes=None, port=None):
    """`python examples/train.py` with `flags` on `devices` CPU devices of JAX."""
    command = [sys.executable, os.path.join(REPO_ROOT, "examples", "train.py"), *flags]
    if process_id is not None:
        command += [
            "--strategy=multi_process", f"--coordinator_address=127.0.0.1:{port}",
            f"--num_processes={num_processes}", f"--process_id={process_id}",
        ]
    env = dict(
        os.environ, KERAS_BACKEND="jax", PYTHONPATH=REPO_ROOT,
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}",
    )
    return subprocess.Popen(
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def start_cluster(flags, num_processes=2, devices=2):
    port = free_port()
    return [start(flags, devices, i, num_processes, port) for i in range(num_processes)]


def finish(processes, timeout=TIMEOUT, check=True):
    """`[(returncode, output)]` of `processes`, each killed past `timeout`."""
    results = []
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            out, _ = process.communicate(timeout=max(1, deadline - time.monotonic()))
            if check and process.returncode != 0:
                raise AssertionError(f"a process failed ({process.returncode}):\n{out[-4000:]}")
            results.append((process.returncode, out))
    finally:
        for process in processes:
            process.kill()
    return results


def losses(model_dir):
    with open(os.path.join(model_dir, "history.csv"), encoding="utf-8") as f:
        return [float(row["loss"]) for row in csv.DictReader(f)]


def final_weights(model_dir):
    return keras.saving.load_model(os.path.join(model_dir, "final.keras")).get_weights()


class FlagsTest(TestCase):
    """The one-line errors that come before any process joins or any file is written."""

    def config(self, **flags):
        defaults = dict(strategy="multi_process", model_dir=self.get_temp_dir(), num_processes=2, process_id=0)
        return trainer.TrainConfig(**{**defaults, **flags})

    def test_process_id_out_of_range(self):
        with self.assertRaisesRegex(ValueError, r"--process_id=2 is out of range for --num_processes=2"):
            multi_process.Cluster("127.0.0.1:1234", 2, 2).check()

    def test_coordinator_address_needs_a_port(self):
        with self.assertRaisesRegex(ValueError, r"is not host:port"):
            multi_process.Cluster("127.0.0.1", 2, 0).check()

    def test_needs_the_jax_backend(self):
        # The test process runs TensorFlow.
        with self.assertRaisesRegex(ValueError, r"multi_process needs the jax backend"):
            trainer.plan(self.config())

    def test_needs_a_model_dir(self):
        with self.assertRaisesRegex(ValueError, r"needs a `model_dir`"):
            trainer.plan(self.config(model_dir=None))

    def test_model_parallel_needs_an_isotropic_family(self):
        with self.assertRaisesRegex(ValueError, r"cyclemlp_b1 is not one of them"):
            trainer.plan(self.config(strategy="auto", model="cyclemlp_b1", model_parallel=2))

    def test_batch_must_split_over_the_model_copies(self):
        with self.assertRaisesRegex(ValueError, r"--batch_size=6 does not split evenly over the 4 model copies"):
            trainer._check_batch_split(6, 4)
        trainer._check_batch_split(8, 4)

    def test_a_failed_join_is_one_line(self):
        import jax

        error = RuntimeError("DEADLINE_EXCEEDED: Barrier timed out\n  long details")
        with mock.patch.object(jax.distributed, "initialize", side_effect=error):
            with self.assertRaises(ConnectionError) as raised:
                multi_process.initialize(multi_process.Cluster("127.0.0.1:9", 2, 0, timeout=3))
        message = str(raised.exception)
        self.assertNotIn("\n", message)
        self.assertIn("--coordinator_address=127.0.0.1:9 within 3 s (DEADLINE_EXCEEDED", message)

    def test_an_unreachable_coordinator_is_one_line(self):
        # Nothing listens on a port just freed.
        cluster = multi_process.Cluster(f"127.0.0.1:{free_port()}", 2, 1, timeout=1)
        with self.assertRaisesRegex(ConnectionError, r"^Process 1 could not reach the coordinator at "
                                    r"--coordinator_address=127\.0\.0\.1:\d+ within 1 s \([^\n]*\)\. Start"):
            multi_process.initialize(cluster)

    def test_documented(self):
        with open(os.path.join(REPO_ROOT, "docs", "training.md"), encoding="utf-8") as f:
            text = f.read()
        for command in (MULTI_HOST, MODEL_PARALLEL):
            self.assertTrue(command in text, f"docs/training.md lost {command!r}")


class ShardTest(TestCase):
    def test_the_processes_batches_make_the_global_batch(self):
        from keras_mlp.data import pipeline, sources
        from keras_mlp.data.preprocessing import INCEPTION

        split = sources.load_dataset("digits", "train")
        prep = INCEPTION.replace(input_size=8, crop_pct=1.0)

        def first_batches(batch_size, shard=None):
            ds = pipeline.make_dataset(
                split, True, prep, batch_size, 10, seed=3, epoch_seed=pipeline.EpochSeed(), shard=shard
            )
            # An image's pixel sum identifies it.
            return [sorted(np.round(x.numpy().sum(axis=(1, 2, 3)), 3)) for x, _ in ds.take(3)]

        whole = first_batches(8)
        halves = [first_batches(4, (2, i)) for i in range(2)]
        for step in range(3):
            self.assertEqual(sorted(halves[0][step] + halves[1][step]), whole[step])
            self.assertEmpty(set(halves[0][step]) & set(halves[1][step]))


class DevicesRecordTest(TestCase):
    def test_a_rerun_on_other_devices_says_so(self):
        from keras_mlp.training.run_dir import RunDirectory
        from keras_mlp.training.run_session import report_new_devices

        run = RunDirectory(self.get_temp_dir())
        two = dict(strategy="multi_process", devices=4, processes=2, model_parallel=1)
        run.write_identity({"model": "mixer_s32", **two})
        with mock.patch("builtins.print") as printed:
            report_new_devices(run, two)
            printed.assert_not_called()
            report_new_devices(run, {**two, "devices": 2, "processes": 1})
        self.assertIn("same global batch", printed.call_args[0][0])


class LayoutMapTest(TestCase):
    def test_every_mlp_of_a_mixer_is_split_over_the_model_axis(self):
        import keras_mlp

        mesh = keras.distribution.DeviceMesh((1, 1), ("batch", "model"), keras.distribution.list_devices()[:1])
        layouts = layout_map("mixer_s32", mesh)
        model = keras_mlp.create_model("mixer_s32", input_shape=(64, 64, 3), classes=10)
        sharded = {v.path: layouts[v.path].axes for v in model.weights if layouts[v.path] is not None}
        # 8 blocks x 2 MLPs x (fc1 kernel, fc1 bias, fc2 kernel).
        self.assertLen(sharded, 48)
        self.assertEqual(sharded["block_7/token_mixing/fc1/kernel"], (None, "model"))
        self.assertEqual(sharded["block_0/channel_mixing/fc2/kernel"], ("model", None))
        self.assertIsNone(layouts["block_0/norm1/gamma"])
        self.assertEqual(sorted(LAYOUTS), ["gmlp", "mlp_mixer", "resmlp"])


def wait_for(path, processes):
    """Waits until `path` exists; fails if a process ends first or past `TIMEOUT`."""
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(path):
        ended = [p.returncode for p in processes if p.poll() is not None]
        if ended or time.monotonic() > deadline:
            outputs = finish(processes, timeout=1, check=False)
            raise AssertionError(f"no {path} (exit codes {ended}):\n{outputs[0][1][-4000:]}")
        time.sleep(1)


@pytest.mark.slow
class MultiProcessTrainingTest(TestCase):
    """mixer_s32, 3 epochs of two steps on a folder of 16 images.

    Each run under test is killed with SIGKILL once its first epoch is saved,
    then rerun with the same command, and must end where an uninterrupted
    run ends: the 2-process run against 1 process with 4 devices, and the
    model-parallel run (whose resume loads the saved whole arrays back into
    shards) against the same. The first step leaves the zero-initialised
    head at zero (the warm-up's first learning rate is 0), so the first
    epoch's loss is log(4) in every run; the later ones tell runs apart.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root = cls.root = tempfile.mkdtemp()
        cls.dirs = {name: os.path.join(root, name) for name in ("one", "two", "sharded")}
        data = image_folder(os.path.join(root, "images"), FOLDER, noise=True)
        flags = {name: [*TINY, f"--dataset={data}", "--epochs=3", f"--model_dir={path}"]
                 for name, path in cls.dirs.items()}
        flags["sharded"].append("--model_parallel=2")
        # Two processes at a time on two cores: the pair, then the references.
        cls.killed = cls.kill_after_first_epoch("two", lambda: start_cluster(flags["two"]), victim=1)
        cls.resumed = {"two": finish(start_cluster(flags["two"]))[0][1]}
        one = start([*flags["one"], "--strategy=mirrored"], devices=4)
        cls.kill_after_first_epoch("sharded", lambda: [start(flags["sharded"], devices=4)], victim=0)
        cls.resumed["sharded"] = finish([start(flags["sharded"], devices=4)])[0][1]
        finish([one])

    @classmethod
    def kill_after_first_epoch(cls, name, launch, victim):
        """`[(returncode, output)]` of `launch()`'s processes, `victim` killed after epoch 1."""
        processes = launch()
        wait_for(os.path.join(cls.dirs[name], "checkpoints", "epoch_001.keras"), processes)
        processes[victim].send_signal(signal.SIGKILL)
        return finish(processes, check=False)

    @classmethod
    def tearDownClass(cls):
        import shutil

        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_a_lost_process_stops_the_other(self):
        (code, out), (killed, _) = self.killed
        self.assertEqual(killed, -signal.SIGKILL)
        self.assertNotEqual(code, 0)
        self.assertRegex(out, r"Task 1 heartbeat timeout")

    def test_reruns_resume(self):
        for name, out in self.resumed.items():
            self.assertRegex(out, r"Resuming after epoch [12] from", name)

    def test_two_processes_train_as_one(self):
        self.assertNotAlmostEqual(losses(self.dirs["one"])[2], losses(self.dirs["one"])[0], places=3)
        self.assertAllClose(losses(self.dirs["two"]), losses(self.dirs["one"]), atol=1e-5, rtol=0)
        for a, b in zip(final_weights(self.dirs["two"]), final_weights(self.dirs["one"])):
            self.assertAllClose(a, b, atol=1e-5, rtol=0)

    def test_one_process_writes(self):
        names = sorted(os.listdir(self.dirs["two"]))
        self.assertEqual(names, ["checkpoints", "final.keras", "history.csv", "learning_curves.png",
                                 "logs", "results.json", "run.json"])

    def test_model_parallel_trains_as_data_parallel(self):
        self.assertAllClose(losses(self.dirs["sharded"]), losses(self.dirs["one"]), atol=1e-5, rtol=0)
        # Loaded here, unsharded, on TensorFlow.
        images = np.random.RandomState(0).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
        sharded = keras.saving.load_model(os.path.join(self.dirs["sharded"], "final.keras"))
        whole = keras.saving.load_model(os.path.join(self.dirs["one"], "final.keras"))
        self.assertAllClose(sharded.predict(images, verbose=0), whole.predict(images, verbose=0), atol=1e-5)
