"""The family pages (each `Family.page`: docs/resmlp.md, gmlp.md, ...) run as written.

Every `python examples/...` command runs (with `SIZE_FLAGS` added) and every
Python block marked `<!-- runs-offline -->` runs, offline, in a fresh process
whose Hugging Face cache holds timm's layout of each tag the pages use, and
whose Keras cache the official file of each tag without a Hub copy (as
`tests/reference/<family module>_official.py`'s `release` writes it), with
random weights.
"""

import importlib
import os
import re
import shlex
import subprocess
import sys

import pytest
import torch

import keras_mlp
from keras_mlp.models import factory
from keras_mlp.weights.registry import _cache_path, get_pretrained
from tests.testing import REPO_ROOT, TestCase
from tests.model_io.test_hub import publish_timm

PAGES = tuple(family.page for family in factory.families() if family.page)
MARKER = "<!-- runs-offline -->"
# Added after a documented command; absl keeps the last value of a repeated flag.
# Training runs as written: it must show the model learning.
SIZE_FLAGS = {
    "examples/train.py": (),
    "examples/visualize_token_mixing.py": ("--blocks=0", "--units=14"),
}
def read(page):
    with open(os.path.join(REPO_ROOT, page), encoding="utf-8") as f:
        return f.read()


def page_tags():
    """The pretrained tags (`model.tag`) the pages name."""
    words = set()
    for page in PAGES:
        words.update(re.findall(r"\b[a-z0-9_]+\.[a-z0-9_]+\b", read(page)))
    return sorted(words & set(keras_mlp.list_pretrained()))


def write_offline_caches(hf_cache, keras_cache):
    """Random weights in the layout each of the pages' tags is fetched in."""
    for name in page_tags():
        record = get_pretrained(name)
        if record.hf_hub_id:
            # timm's `<arch>.<tag>` repository.
            publish_timm(hf_cache, record.hf_hub_id, record.hf_hub_id.split("/")[1].partition(".")[0])
            continue
        module = keras_mlp.get_constructor(record.model).__module__.rpartition(".")[2]
        official = importlib.import_module(f"tests.reference.{module}_official")
        path = _cache_path(record, keras_cache)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        torch.save(official.release(record.model), path)


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
            write_offline_caches(cache, os.path.join(folder, "keras"))
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
