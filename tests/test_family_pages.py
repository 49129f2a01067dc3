"""The family pages (docs/resmlp.md, gmlp.md, cyclemlp.md, wavemlp.md) run as written.

Every `python examples/...` command runs (with `SIZE_FLAGS` added) and every
Python block marked `<!-- runs-offline -->` runs, offline, in a fresh process
whose Hugging Face cache holds timm's layout of each tag the pages use, and
whose Keras cache the official file of each tag without a Hub copy, with
random weights.
"""

import os
import re
import shlex
import subprocess
import sys

import pytest
import torch

from keras_mlp.weights.registry import _cache_path, get_pretrained
from tests.reference import cyclemlp_official, wavemlp_official
from tests.testing import REPO_ROOT, TestCase
from tests.weights.test_hub import publish_timm

PAGES = ("docs/resmlp.md", "docs/gmlp.md", "docs/cyclemlp.md", "docs/wavemlp.md")
MARKER = "<!-- runs-offline -->"
# Added after a documented command; absl keeps the last value of a repeated flag.
# Training runs as written: it must show the model learning.
SIZE_FLAGS = {
    "examples/train.py": (),
    "examples/visualize_token_mixing.py": ("--blocks=0", "--units=14"),
}
# The Hub repositories behind the tags the pages use, and timm's architecture.
HUB_REPOS = {
    "timm/resmlp_12_224.fb_distilled_in1k": "resmlp_12_224",
    "timm/gmlp_s16_224.ra3_in1k": "gmlp_s16_224",
}
# Tags served from their official release only, and the official modules that
# write a file of that layout.
OFFICIAL_FILES = {
    "cyclemlp_b1.imagenet1k": lambda: {"model": cyclemlp_official.create("cyclemlp_b1").state_dict()},
    "wavemlp_t.imagenet1k": lambda: {"state_dict": wavemlp_official.create("wavemlp_t").state_dict()},
}


def read(page):
    with open(os.path.join(REPO_ROOT, page), encoding="utf-8") as f:
        return f.read()


def commands(page):
    """The `python examples/...` lines of the page's bash blocks."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", read(page), re.S):
        lines += block.replace("\\\n", " ").strip().splitlines()
    return lines


def python_blocks(page):
    """`(marker or "", code)` of each Python block of the page."""
    return re.findall(r"(<!-- [a-z-]+ -->\n)?```python\n(.*?)```", read(page), re.S)


class FamilyPagesTest(TestCase):
    def test_every_block_is_one_this_test_runs(self):
        for page in PAGES:
            self.assertNotEmpty(commands(page), page)
            for line in commands(page):
                script = shlex.split(line)[1]
                self.assertEqual(shlex.split(line)[0], "python", line)
                self.assertIn(script, SIZE_FLAGS, f"{page}: add size flags for {script}")
            for marker, _ in python_blocks(page):
                self.assertEqual(marker.strip(), MARKER, page)

    def run_offline(self, argv):
        folder = self.get_temp_dir()
        cache = os.path.join(folder, "hf", "hub")
        if not os.path.isdir(cache):
            os.makedirs(cache)
            for repo_id, arch in HUB_REPOS.items():
                publish_timm(cache, repo_id, arch)
            for name, checkpoint in OFFICIAL_FILES.items():
                path = _cache_path(get_pretrained(name), os.path.join(folder, "keras"))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                torch.save(checkpoint(), path)
        env = dict(
            os.environ,
            PYTHONPATH=REPO_ROOT,
            KERAS_BACKEND="tensorflow",
            HF_HOME=os.path.join(folder, "hf"),
            HF_HUB_OFFLINE="1",
            KERAS_HOME=os.path.join(folder, "keras"),
        )
        result = subprocess.run(argv, capture_output=True, text=True, cwd=folder, env=env)
        self.assertEqual(result.returncode, 0, f"{argv}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
        return folder, result.stdout

    @pytest.mark.slow
    def test_commands(self):
        for page in PAGES:
            for line in commands(page):
                with self.subTest(line):
                    argv = shlex.split(line)
                    script = os.path.join(REPO_ROOT, argv[1])
                    folder, stdout = self.run_offline(
                        [sys.executable, script, *argv[2:], *SIZE_FLAGS[argv[1]]]
                    )
                    if argv[1] == "examples/train.py":
                        top1 = float(re.search(r"Final evaluation: top-1 ([0-9.]+)", stdout).group(1))
                        self.assertGreater(top1, 0.3, f"{line}: the model did not learn (chance: 0.1)")
                    if argv[1] == "examples/visualize_token_mixing.py":
                        self.assertTrue(os.path.isfile(os.path.join(folder, stdout.split()[-1])))

    @pytest.mark.slow
    def test_python_blocks(self):
        for page in PAGES:
            with self.subTest(page):
                code = "\n".join(code for _, code in python_blocks(page))
                _, stdout = self.run_offline([sys.executable, "-c", code])
                self.assertIn("[[(", stdout)  # decode_predictions' top classes
