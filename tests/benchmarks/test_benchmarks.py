"""The benchmark scripts run end to end on tiny settings (their figures are not checked, except
that the op profile attributes the step to its matmuls)."""

import json
import os
import re
import subprocess
import sys

import pytest
from absl.testing import parameterized

from tests.testing import REPO_ROOT, TestCase

# docs/performance.md's commands, run as written apart from size flags.
TABLE = "python benchmarks/throughput.py --models=mixer_s16,resmlp_s12"
SMALLEST = "python benchmarks/throughput.py --models=smallest"
SMALLEST_TRAINING = (
    "python benchmarks/throughput.py --models=smallest --mode=training --batch_sizes=32 "
    "--backends=tensorflow,jax --steps=1 --repeats=1 --warmup=1"
)
BFLOAT16 = (
    "python benchmarks/throughput.py --models=mixer_s16,resmlp_s12 --backends=tensorflow "
    "--dtype=bfloat16 --jit_compile=false --batch_sizes=1 --threads=1"
)
PROFILES = (
    "python benchmarks/op_profile.py --model=mixer_s16 --batch_size=1",
    "KERAS_BACKEND=jax python benchmarks/op_profile.py --model=resmlp_s12 --batch_size=1",
)
TRAINING_TABLES = (
    "python benchmarks/throughput.py --models=mixer_s16,resmlp_s12 --mode=training --batch_sizes=32",
    "python benchmarks/throughput.py --models=mixer_s16,resmlp_s12 --mode=training --batch_sizes=32 "
    "--backends=tensorflow --jit_compile=true",
)
TRAINING_PROFILES = (
    "python benchmarks/op_profile.py --model=mixer_s16 --batch_size=32 --mode=training",
    "KERAS_BACKEND=jax python benchmarks/op_profile.py --model=mixer_s16 --batch_size=32 --mode=training",
)
QUANTIZED = "python benchmarks/quantized.py --models=mixer_s16,resmlp_s12 --batch_sizes=1,32"
SMALL = ("--image_size=32", "--batch_sizes=1", "--repeats=1", "--steps=1", "--warmup=1")


def run_script(path, *flags):
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    process = subprocess.run(
        [sys.executable, path, *flags],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    if process.returncode != 0:
        raise AssertionError(f"{path} failed:\n{process.stderr[-3000:]}")
    return process.stdout


def run_documented(command, *size_flags, timeout=1200):
    with open(os.path.join(REPO_ROOT, "docs", "performance.md"), encoding="utf-8") as f:
        if command not in f.read():
            raise AssertionError(f"docs/performance.md no longer shows {command!r}")
    words = command.split()
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    if words[0].startswith("KERAS_BACKEND="):
        env["KERAS_BACKEND"] = words.pop(0).partition("=")[2]
    process = subprocess.run(
        [sys.executable, *words[1:], *size_flags],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout,
    )
    if process.returncode != 0:
        raise AssertionError(f"{command} failed:\n{process.stderr[-3000:]}")
    return process.stdout


class BenchmarksTest(TestCase, parameterized.TestCase):
    @pytest.mark.slow
    def test_documented_table_of_both_backends(self):
        # docs/performance.md's command, at a small size: one process per
        # backend, the timed path keras_mlp.inference_function.
        path = os.path.join(self.get_temp_dir(), "out.json")
        out = run_documented(TABLE, *SMALL, f"--json={path}")
        self.assertRegex(out, r"\| model \| reference \| TF b1 \| JAX b1 \|")
        self.assertRegex(out, r"\| resmlp_s12 \| resmlp_12_224 \| \d+\.\d\dx .* \| \d+\.\d\dx ")
        with open(path) as f:
            reports = json.load(f)
        self.assertCountEqual(
            [(r["model"], r["backend"]) for r in reports],
            [(m, b) for m in ("mixer_s16", "resmlp_s12") for b in ("tensorflow", "jax")],
        )
        self.assertTrue(all(r["keras_mlp_path"].startswith("keras_mlp.inference_function") for r in reports))

    @pytest.mark.slow
    def test_documented_table_of_every_familys_smallest_model(self):
        # At the models' own sizes (RepMLPNet's partitions need 224), one backend.
        out = run_documented(SMALLEST, "--backends=tensorflow", *SMALL[1:])
        rows = re.findall(r"^\| (\w+) \| ", out, re.MULTILINE)
        # One per family, the smallest 1000-class model at 224 or more.
        self.assertEqual(
            rows[1:],
            ["cyclemlp_b1", "deit_tiny", "gmlp_ti16", "mixer_s16", "repmlp_res50_bottleneck_224",
             "repmlpnet_t224", "resmlp_s12", "wavemlp_t_dw"],
        )

    @pytest.mark.slow
    def test_documented_training_table_of_every_familys_smallest_model(self):
        out = run_documented(SMALLEST_TRAINING, "--batch_sizes=1", timeout=3000)
        self.assertIn("float32, training", out)
        # One cell per backend. RepMLP's two families have no PyTorch
        # reference here: "n/a", with keras_mlp's img/s.
        self.assertIn("| model | reference | TF b1 | JAX b1 |", out)
        cell = r"(?:\d+\.\d\dx|n/a) \(\d+\.\d img/s\)"
        rows = re.findall(rf"^\| (\w+) \| \S+ \| {cell} \| {cell} \|$", out, re.MULTILINE)
        self.assertEqual(
            rows,
            ["cyclemlp_b1", "deit_tiny", "gmlp_ti16", "mixer_s16", "repmlp_res50_bottleneck_224",
             "repmlpnet_t224", "resmlp_s12", "wavemlp_t_dw"],
        )

    @pytest.mark.slow
    def test_documented_bfloat16_table(self):
        out = run_documented(BFLOAT16, *SMALL)
        self.assertRegex(out, r"\| mixer_s16 \| mixer_s16_224 \| \d+\.\d\dx")
        self.assertIn("bfloat16, inference", out)

    @pytest.mark.slow
    def test_documented_int8_table(self):
        out = run_documented(QUANTIZED, "--image_size=32", "--batch_sizes=1,2", "--repeats=1", "--steps=1", "--warmup=1")
        self.assertIn("lacks", out.splitlines()[0])
        for model in ("mixer_s16", "resmlp_s12"):
            table = out.split(f"\n{model}, 32x32;")[1].split("\n\n")[0]
            rows = {}
            for line in table.splitlines()[3:]:
                cells = [cell.strip() for cell in line.strip("|").split("|")]
                rows[cells[0]] = cells
            self.assertEqual(list(rows), [
                "keras_mlp float32", "TFLite float32", "TFLite dynamic range", "TFLite full integer",
                "ONNX Runtime float32", "ONNX Runtime int8",
            ])
            for runtime, cells in rows.items():
                self.assertRegex(cells[1], r"^\d+\.\d\d$")
                self.assertRegex(cells[3], r"^\d+\.\d\dx$")
                agreed, photos = map(int, cells[6].split("/"))
                self.assertEqual(photos, 8)
                # The float32 artifacts are the model itself; int8 may flip a
                # close call, but an int8 model that lost the photos is broken.
                if "float32" in runtime:
                    self.assertEqual(agreed, 8, runtime)
                else:
                    self.assertGreaterEqual(agreed, 4, runtime)
            # int8 files hold a quarter of float32's bytes.
            float32, int8 = float(rows["TFLite float32"][5]), float(rows["TFLite full integer"][5])
            self.assertLess(int8, 0.3 * float32)

    @parameterized.parameters("tensorflow", "jax")
    @pytest.mark.slow
    def test_documented_profile(self, backend):
        command = next(c for c in PROFILES if ("jax" in c) == (backend == "jax"))
        # At full size, as documented: at 32x32 the matmuls would be too small
        # to tell a breakdown from the whole step filed under "other".
        out = run_documented(command, "--steps=2")
        wall, matmul, rest = map(float, re.search(
            r"keras_mlp\.inference_function +([\d.]+) +([\d.]+) +(-?[\d.]+) +\d+", out).groups())
        self.assertGreater(matmul, 0.5 * wall)
        self.assertAlmostEqual(wall - matmul, rest, delta=0.011)
        kinds = dict(re.findall(r"^(matmul|other) +([\d.]+) +[\d.]+$", out, re.MULTILINE))
        self.assertGreater(float(kinds["matmul"]), 5 * float(kinds["other"]))
        self.assertRegex(out, r"timm eager +[\d.]+ +[\d.]+ +-?[\d.]+ +\d+")

    @parameterized.parameters(*TRAINING_TABLES)
    @pytest.mark.slow
    def test_documented_training_table(self, command):
        out = run_documented(command, *SMALL)
        self.assertIn("float32, training", out)
        jit = "True" if "--jit_compile=true" in command else "False"
        self.assertRegex(out, rf"model\.fit\(numpy, batch_size=1\) after model\.compile\(jit_compile={jit}\)")
        self.assertRegex(out, r"\| resmlp_s12 \| resmlp_12_224 \| \d+\.\d\dx ")

    @parameterized.parameters("tensorflow", "jax")
    @pytest.mark.slow
    def test_documented_training_profile(self, backend):
        command = next(c for c in TRAINING_PROFILES if ("jax" in c) == (backend == "jax"))
        # At the model's size, two images: the optimizer's update (as large as at
        # batch 32) is its own row beside the matmuls of both passes.
        out = run_documented(command, "--batch_size=2", "--steps=1")
        self.assertRegex(out, r"mixer_s16 \| training \| batch 2 \| 224x224")
        jit = "True" if backend == "jax" else "False"
        self.assertRegex(out, rf"model\.train_on_batch \(jit_compile={jit}\) +[\d.]+ +[\d.]+ +-?[\d.]+ +\d+")
        self.assertRegex(out, r"timm eager +[\d.]+ +[\d.]+ +-?[\d.]+ +\d+")
        kinds = {k: tuple(map(float, v)) for k, *v in re.findall(
            r"^(optimizer|matmul) +([\d.]+) +([\d.]+)$", out, re.MULTILINE)}
        self.assertGreater(min(kinds["matmul"]), 0)
        # TensorFlow's AdamW ops by their name scope, torch's inside optimizer.step();
        # XLA fuses JAX's update into element-wise fusions.
        self.assertGreater(kinds["optimizer"][1], 0)
        if backend == "tensorflow":
            self.assertGreater(kinds["optimizer"][0], 0)

    @pytest.mark.slow
    def test_throughput_against_the_official_code(self):
        # CycleMLP and Wave-MLP are not in timm: their official code is the reference.
        path = os.path.join(self.get_temp_dir(), "out.json")
        run_script(
            os.path.join(REPO_ROOT, "benchmarks", "throughput.py"), "--model=cyclemlp_b1", "--image_size=64", "--threads=1",
            "--batch_size=1", "--steps=1", "--repeats=1", "--warmup=1", f"--json={path}",
        )
        with open(path) as f:
            report = json.load(f)
        self.assertEqual(report["timm_model"], "official:cyclemlp_b1")
        self.assertGreater(report["ratio_keras_mlp_over_timm"], 0)

    @pytest.mark.slow
    def test_repmlp_deploy_speed_up(self):
        out = run_script(
            os.path.join(REPO_ROOT, "benchmarks", "repmlp_deploy.py"),
            "--model=repmlp_cifar", "--batch_size=1", "--rounds=1", "--steps=1",
        )
        self.assertIn("same top-1 predictions: True", out)
        self.assertIn("deploy / train speed-up", out)
