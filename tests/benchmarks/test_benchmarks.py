"""The benchmark scripts run end to end on tiny settings (their figures are not checked)."""

import json
import os
import subprocess
import sys

import pytest

from tests.testing import REPO_ROOT, TestCase


def run_script(path, *flags):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="tensorflow")
    process = subprocess.run(
        [sys.executable, path, *flags],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )
    if process.returncode != 0:
        raise AssertionError(f"{path} failed:\n{process.stderr[-3000:]}")
    return process.stdout


class BenchmarksTest(TestCase):
    @pytest.mark.slow
    def test_throughput_against_timm(self):
        path = os.path.join(self.get_temp_dir(), "out.json")
        out = run_script(
            os.path.join(REPO_ROOT, "benchmarks", "throughput.py"), "--model=mixer_s32", "--image_size=64", "--batch_size=1",
            "--steps=1", "--repeats=1", "--warmup=1", f"--json={path}",
        )
        self.assertIn("keras_mlp / timm throughput", out)
        with open(path) as f:
            report = json.load(f)
        self.assertEqual(report["timm_model"], "mixer_s32_224")  # at img_size=64
        self.assertGreater(report["ratio_keras_mlp_over_timm"], 0)

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
