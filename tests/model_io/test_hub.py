"""Weights from the Hugging Face Hub: timm tags, hf:// handles, model folders.

No network: each test lays timm's own `save_for_hf` output out as
huggingface_hub caches a download, and runs with `HF_HUB_OFFLINE`.
"""

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from unittest import mock

import pytest
import timm  # noqa: F401  (before TensorFlow, see conftest)
import timm.models._hub
import torch

import huggingface_hub
from huggingface_hub import errors as hub_errors
import keras
import numpy as np
from absl.testing import parameterized

import keras_mlp
from keras_mlp.classification.predict import load_classifier, prediction_weights
from keras_mlp.data.preprocessing import Preprocessing
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.model_io.timm_config import timm_architectures
from keras_mlp.weights import hub_files, registry
from keras_mlp.weights.checkpoint_io import CheckpointError
from tests.registered_models import randomize_head, smallest_model
from tests.testing import REPO_ROOT, TestCase


def write_hub_cache(cache, repo_id, folder, revision="main"):
    """Lays the files of `folder` out as `hf_hub_download` leaves a download
    of `repo_id` in the cache: blobs named by their etag (SHA-256 for Git LFS
    files, the git blob SHA-1 otherwise), a snapshot of links to them, and a
    ref naming the snapshot's commit. Returns the snapshot folder."""
    repo = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
    files = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            files[name] = f.read()
    commit = hashlib.sha1(b"".join(files.values())).hexdigest()
    snapshot = os.path.join(repo, "snapshots", commit)
    os.makedirs(snapshot)
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
    for name, data in files.items():
        if name == hub_files.CONFIG_FILE:
            etag = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        else:
            etag = hashlib.sha256(data).hexdigest()
        with open(os.path.join(repo, "blobs", etag), "wb") as f:
            f.write(data)
        os.symlink(os.path.join("..", "..", "blobs", etag), os.path.join(snapshot, name))
    with open(os.path.join(repo, "refs", revision), "w") as f:
        f.write(commit)
    return snapshot


def publish_timm(cache, repo_id, arch, seed=0, label_names=None, **kwargs):
    """A timm `arch` with random weights (head included: Mixer's starts at
    zero), in the cache as repository `repo_id`. Returns (model, snapshot)."""
    torch.manual_seed(seed)
    model = timm.create_model(arch, pretrained=False, **kwargs).eval()
    torch.nn.init.normal_(model.head.weight)
    torch.nn.init.normal_(model.head.bias)
    folder = os.path.join(os.path.dirname(cache), "timm-" + repo_id.replace("/", "-"))
    model_config = {"label_names": label_names} if label_names else None
    timm.models._hub.save_for_hf(model, folder, model_config=model_config, safe_serialization=True)
    snapshot = write_hub_cache(cache, repo_id, folder)
    shutil.rmtree(folder)
    return model, snapshot


def hub_record(hf_hub_id):
    """The pretrained record served by a Hub repository."""
    (record,) = [
        keras_mlp.get_pretrained(name) for name in keras_mlp.list_pretrained()
        if keras_mlp.get_pretrained(name).hf_hub_id == hf_hub_id
    ]
    return record


def timm_logits(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(np.transpose(x, (0, 3, 1, 2)))).numpy()


def inputs(side, batch=2):
    return np.random.RandomState(0).normal(size=(batch, side, side, 3)).astype("float32")


class OfflineHubTestCase(TestCase):
    """Every test gets an empty Hub cache and no network."""

    def setUp(self):
        super().setUp()
        self.cache = os.path.join(self.get_temp_dir(), "hf", "hub")
        os.makedirs(self.cache)
        # huggingface_hub reads HF_HOME and HF_HUB_OFFLINE once, at import.
        patcher = mock.patch.multiple(
            huggingface_hub.constants, HF_HUB_CACHE=self.cache, HF_HUB_OFFLINE=True
        )
        patcher.start()
        self.addCleanup(patcher.stop)


class TimmRepositoryTest(OfflineHubTestCase, parameterized.TestCase):
    def test_the_cache_layout_is_huggingface_hubs_and_revisions_resolve(self):
        publish_timm(self.cache, "timm/mixer_s32_224.test", "mixer_s32_224")
        info = huggingface_hub.scan_cache_dir(self.cache)
        self.assertEqual(info.warnings, [])
        (repo,) = info.repos
        (revision,) = repo.revisions
        self.assertEqual(repo.repo_id, "timm/mixer_s32_224.test")
        self.assertEqual({f.file_name for f in revision.files}, {"config.json", "model.safetensors"})

        self.assertEqual(keras_mlp.load_metadata("hf://timm/mixer_s32_224.test@main").model, "mixer_s32")
        with self.assertRaisesRegex(FileNotFoundError, "not in the Hugging Face cache"):
            keras_mlp.load_metadata("hf://timm/mixer_s32_224.test@v2")

    @parameterized.parameters(
        # A handle as `weights=`.
        ("mixer_s32_224", "timm/mixer_s32_224.test", "mixer_s32", "hf://timm/mixer_s32_224.test",
         0.875, (0.5,) * 3),
        # A pretrained tag (None: the tag served by `repo_id`).
        ("deit_tiny_patch16_224", "timm/deit_tiny_patch16_224.fb_in1k", "deit_tiny", None,
         0.9, (0.485, 0.456, 0.406)),
    )
    def test_timms_logits(self, arch, repo_id, model_name, weights, crop, mean):
        weights = weights or hub_record(repo_id).tag
        reference, snapshot = publish_timm(self.cache, repo_id, arch)
        x = inputs(224)
        expected = timm_logits(reference, x)

        model = keras_mlp.from_pretrained(snapshot, classifier_activation=None)
        self.assertAllClose(model(x), expected, atol=1e-4, rtol=0)
        legacy = mock.patch.object(registry.keras.utils, "get_file",
                                   side_effect=AssertionError("the legacy URL was used"))
        with legacy:
            constructor = keras_mlp.create_model(
                model_name, weights=weights, classifier_activation=None
            )
        self.assertAllClose(constructor(x), expected, atol=1e-4, rtol=0)

        meta = keras_mlp.load_metadata(f"hf://{repo_id}")
        self.assertEqual(meta.model, model_name)
        self.assertEqual(meta.arguments["classes"], 1000)
        self.assertEqual(meta.preprocessing, Preprocessing(
            mean=mean, std=reference.pretrained_cfg["std"], crop_pct=crop,
            interpolation="bicubic", input_size=224,
        ))
        # No label_names in the config: a 1000-class head is ImageNet-1k, as timm infers.
        self.assertLen(meta.class_names, 1000)
        self.assertEqual(meta.class_names[281], "n02123045")

    def test_recorded_labels_preprocessing_and_classes(self):
        labels = ["cat", "dog", "owl", "eel", "ant"]
        reference, _ = publish_timm(
            self.cache, "someone/mixer-pets", "mixer_s32_224", label_names=labels, num_classes=5,
            pretrained_cfg_overlay=dict(mean=(0.1, 0.2, 0.3), std=(0.4, 0.5, 0.6),
                                        crop_pct=0.95, interpolation="bilinear"),
        )
        meta = keras_mlp.load_metadata("hf://someone/mixer-pets")
        self.assertEqual(meta.class_names, tuple(labels))
        self.assertEqual(meta.preprocessing, Preprocessing(
            mean=(0.1, 0.2, 0.3), std=(0.4, 0.5, 0.6), crop_pct=0.95,
            interpolation="bilinear", input_size=224,
        ))
        self.assertEqual(meta.arguments, {"classes": 5, "input_shape": (224, 224, 3),
                                          "gelu_approximate": False})
        x = inputs(224)
        model = keras_mlp.from_pretrained("hf://someone/mixer-pets", classifier_activation=None)
        self.assertAllClose(model(x), timm_logits(reference, x), atol=1e-4, rtol=0)

    def test_a_tag_falls_back_to_its_url_with_its_digest(self):
        path = os.path.join(self.get_temp_dir(), "deit.safetensors")
        with open(path, "wb") as f:
            f.write(b"legacy bytes")
        record = dataclasses.replace(
            hub_record("timm/deit_tiny_patch16_224.fb_in1k"), url=f"file://{path}",
            sha256=hashlib.sha256(b"legacy bytes").hexdigest()[:8],
        )
        cache = os.path.join(self.get_temp_dir(), "keras")
        with self.assertWarnsRegex(UserWarning, "not in the Hugging Face cache.*Trying file://"):
            fetched = registry.fetch(record, cache_dir=cache)
        self.assertTrue(fetched.startswith(cache))

        bad = dataclasses.replace(record, tag="bad", sha256="00000000")
        with self.assertWarns(UserWarning), self.assertRaisesRegex(ValueError, "corrupt"):
            registry.fetch(bad, cache_dir=cache)

    def test_missing_repository_offline_says_how_to_get_it(self):
        with self.assertRaisesRegex(
            FileNotFoundError,
            "not in the Hugging Face cache .* because HF_HUB_OFFLINE is set.*"
            r"`hf download timm/mixer_b16_224.nowhere`",
        ):
            keras_mlp.from_pretrained("hf://timm/mixer_b16_224.nowhere")

    def test_no_network_says_how_to_skip_the_retries(self):
        failure = hub_errors.LocalEntryNotFoundError("no connection")
        with mock.patch.object(huggingface_hub.constants, "HF_HUB_OFFLINE", False), mock.patch.object(
            huggingface_hub, "hf_hub_download", side_effect=failure
        ), self.assertRaisesRegex(FileNotFoundError, "cannot be downloaded. .*HF_HUB_OFFLINE=1 skips"):
            hub_files.download("timm/mixer_b16_224.nowhere", "model.safetensors")

    def test_unsupported_architecture_lists_the_supported_ones(self):
        folder = os.path.join(self.get_temp_dir(), "convnext")
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({"architecture": "convnext_tiny", "num_classes": 1000,
                       "pretrained_cfg": {"input_size": [3, 224, 224]}}, f)
        with self.assertRaisesRegex(
            ValueError, r"'convnext_tiny', an architecture keras_mlp does not implement\. "
            r"Supported timm architectures: \[.*'mixer_b16_224'"
        ):
            keras_mlp.from_pretrained(folder)

    def test_configs_keras_mlp_would_misread_are_refused(self):
        folder = os.path.join(self.get_temp_dir(), "repo")
        os.makedirs(folder)
        good = {"architecture": "mixer_s32_224", "num_classes": 1000, "global_pool": "avg",
                "pretrained_cfg": {"input_size": [3, 224, 224], "mean": [0.5] * 3,
                                   "std": [0.5] * 3, "crop_pct": 0.875,
                                   "interpolation": "bicubic", "crop_mode": "center"}}
        cases = (
            ({"global_pool": "max"}, "global_pool='max'; keras_mlp's mixer_s32 pools with 'avg'"),
            ({"pretrained_cfg": {**good["pretrained_cfg"], "input_size": [3, 224, 160]}},
             r"inputs of shape \[3, 224, 160\].*square RGB"),
        )
        for change, message in cases:
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump({**good, **change}, f)
            with self.assertRaisesRegex(ValueError, message):
                keras_mlp.load_metadata(folder)
        squash = {**good["pretrained_cfg"], "crop_mode": "squash"}
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({**good, "pretrained_cfg": squash}, f)
        with self.assertWarnsRegex(UserWarning, "crop_mode='squash'.*crops at the center"):
            keras_mlp.load_metadata(folder)

    def test_corrupt_snapshot_says_how_to_repair_it(self):
        _, snapshot = publish_timm(self.cache, "timm/mixer_s32_224.test", "mixer_s32_224")
        blob = os.path.realpath(os.path.join(snapshot, "model.safetensors"))
        with open(blob, "r+b") as f:
            f.truncate(os.path.getsize(blob) // 2)
        with self.assertRaisesRegex(
            CheckpointError,
            "model.safetensors of timm/mixer_s32_224.test .* is corrupt.*"
            "`hf download timm/mixer_s32_224.test model.safetensors --force-download`",
        ):
            keras_mlp.MixerS32(weights="hf://timm/mixer_s32_224.test")

        config = os.path.realpath(os.path.join(snapshot, "config.json"))
        with open(config, "w") as f:
            f.write('{"architecture": ')
        with self.assertRaisesRegex(CheckpointError, "not valid JSON.*--force-download"):
            keras_mlp.load_metadata("hf://timm/mixer_s32_224.test")

    def test_handles_that_are_not_model_repositories(self):
        for handle in ("hf://datasets/org/data", "hf://org/model/sub/file.bin"):
            with self.assertRaisesRegex(ValueError, "not a model repository"):
                keras_mlp.from_pretrained(handle)


class TimmTablesTest(TestCase):
    def test_every_table_row_is_a_timm_architecture(self):
        self.assertEmpty(set(timm_architectures()) - set(timm.list_models()))

    def test_hub_records_are_timms_tags(self):
        """Each record's Hub repository is timm's copy of the record's URL,
        for the same head and normalisation."""
        hub_records = [keras_mlp.get_pretrained(n) for n in keras_mlp.list_pretrained()]
        hub_records = [r for r in hub_records if r.hf_hub_id]
        self.assertLen(hub_records, 20)
        for record in hub_records:
            name = record.hf_hub_id.removeprefix("timm/")
            cfg = timm.models.get_pretrained_cfg(name)
            self.assertIsNotNone(cfg, record.hf_hub_id)
            self.assertEqual(cfg.hf_hub_id, record.hf_hub_id)
            self.assertEqual(cfg.url, record.url)
            self.assertEqual(timm_architectures()[cfg.architecture].model, record.model)
            self.assertEqual(cfg.num_classes, record.classes)
            self.assertEqual(tuple(cfg.mean), record.preprocessing.mean)
            self.assertEqual(tuple(cfg.std), record.preprocessing.std)
            self.assertEqual(cfg.interpolation, record.preprocessing.interpolation)
            # crop_pct is not compared: the DeiT records keep DeiT's own 0.875,
            # where timm evaluates DeiT at 0.9.


# The smallest registered model of each family (the registry name's leading
# word); `test_every_family_has_a_round_trip` asks for a row for a new one.
# feedforward_tiny shares deit_tiny's builder; repmlpnet_t224 has 38M
# parameters at its smallest input, 224.
ROUND_TRIP = ("mixer_t4", "deit_tiny", "repmlp_cifar", "resmlp_s12", "gmlp_ti16", "cyclemlp_b1", "wavemlp_t_dw")
ROUND_TRIP_SLOW = ("feedforward_tiny", "repmlpnet_t224")


def family(name):
    return re.match(r"[a-z]+", name).group()


class SavePretrainedTest(OfflineHubTestCase, parameterized.TestCase):
    def fine_tuned(self, name, **kwargs):
        keras.utils.set_random_seed(0)
        model = smallest_model(name, classes=3, classifier_activation=None, **kwargs)
        randomize_head(model)
        meta = ModelMetadata(
            model=name,
            arguments={"classes": 3, "classifier_activation": None,
                       "input_shape": list(model.input_shape[1:])},
            preprocessing=Preprocessing(mean=(0.1, 0.2, 0.3), crop_pct=1.0,
                                        input_size=model.input_shape[1]),
            class_names=["cat", "dog", "owl"],
            extra={"dataset": "pets"},
        )
        return model, meta

    def check_round_trip(self, name):
        model, meta = self.fine_tuned(name)
        folder = os.path.join(self.get_temp_dir(), name)
        self.assertEqual(keras_mlp.save_pretrained(model, folder, meta), folder)
        self.assertEqual(sorted(os.listdir(folder)), ["config.json", "model.weights.h5"])
        self.assertEqual(keras_mlp.load_metadata(folder), meta)
        x = inputs(model.input_shape[1])
        self.assertAllEqual(keras_mlp.from_pretrained(folder)(x), model(x))
        return model, folder, x

    def test_every_family_has_a_round_trip(self):
        covered = {family(name) for name in ROUND_TRIP + ROUND_TRIP_SLOW}
        for name in keras_mlp.list_models():
            self.assertIn(family(name), covered,
                          f"Add the smallest {family(name)} model to ROUND_TRIP.")

    @parameterized.parameters(*ROUND_TRIP)
    def test_round_trip(self, name):
        self.check_round_trip(name)

    @pytest.mark.slow
    def test_round_trip_large_families(self):
        for name in ROUND_TRIP_SLOW:
            with self.subTest(name):
                self.check_round_trip(name)

    def test_a_published_folder_loads_by_handle_and_as_weights(self):
        model, folder, x = self.check_round_trip("mixer_t4")
        write_hub_cache(self.cache, "me/digits-mixer", folder)
        self.assertAllEqual(keras_mlp.from_pretrained("hf://me/digits-mixer")(x), model(x))
        rebuilt = keras_mlp.MixerT4(weights="hf://me/digits-mixer", classes=3,
                                    classifier_activation=None, input_shape=(28, 28, 3))
        self.assertAllEqual(rebuilt(x), model(x))

    def test_predict_needs_the_handle_alone(self):
        model, folder, x = self.check_round_trip("mixer_t4")
        write_hub_cache(self.cache, "me/digits-mixer", folder)
        meta = prediction_weights("hf://me/digits-mixer")
        classifier = load_classifier(meta)
        self.assertEqual(list(meta.class_names), ["cat", "dog", "owl"])
        self.assertEqual(meta.preprocessing.mean, (0.1, 0.2, 0.3))
        self.assertAllClose(classifier(x), keras.ops.softmax(model(x)), atol=1e-6)

        labels = os.path.join(self.get_temp_dir(), "labels.txt")
        with open(labels, "w") as f:
            f.write("cat\ndog\n")
        with self.assertRaisesRegex(ValueError, "names 2 classes, but the head of 'hf://me/digits-mixer' has 3"):
            prediction_weights("hf://me/digits-mixer", labels=labels)
        with self.assertRaisesRegex(ValueError, "holds a mixer_t4 model, not mixer_s16"):
            prediction_weights("hf://me/digits-mixer", model="mixer_s16")

    def test_metadata_that_does_not_rebuild_the_model_is_refused(self):
        model, meta = self.fine_tuned("mixer_t4")
        folder = os.path.join(self.get_temp_dir(), "refused")
        other_head = dataclasses.replace(
            meta, arguments={**meta.arguments, "classes": 4}, class_names=None
        )
        with self.assertRaisesRegex(
            ValueError, r"does not describe `model`: mixer_t4\(classes=4.*outputs of shape \(4,\), the model \(3,\)"
        ):
            keras_mlp.save_pretrained(model, folder, other_head)
        self.assertEqual(os.listdir(folder), [])

        flax_gelu, meta = self.fine_tuned("mixer_t4", gelu_approximate=True)
        with self.assertRaisesRegex(ValueError, "computes other outputs.*every constructor argument"):
            keras_mlp.save_pretrained(flax_gelu, folder, meta)
        self.assertEqual(os.listdir(folder), [])

        with self.assertRaisesRegex(TypeError, "must be a keras_mlp.model_io.metadata.ModelMetadata"):
            keras_mlp.save_pretrained(model, folder, meta.to_dict())


# Code blocks that follow this marker in README.md and docs/hub.md run offline.
EXAMPLE_MARKER = "<!-- offline-example -->"
NETWORK_MARKER = "<!-- needs-network -->"


def examples(path):
    with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"(<!-- [a-z-]+ -->\n)?```python\n(.*?)```", text, re.S)
    return [(marker.strip(), code) for marker, code in blocks]


class DocumentedExamplesTest(TestCase):
    def test_every_hub_page_example_is_run_or_needs_network(self):
        markers = [marker for marker, _ in examples("docs/hub.md")]
        self.assertEqual(set(markers), {EXAMPLE_MARKER, NETWORK_MARKER})

    def test_the_architecture_table_is_the_codes(self):
        with open(os.path.join(REPO_ROOT, "docs/hub.md"), encoding="utf-8") as f:
            rows = dict(re.findall(r"^\| `(\w+)` \| `(\w+)` \|$", f.read(), re.M))
        self.assertEqual(rows, {name: arch.model for name, arch in timm_architectures().items()})

    @pytest.mark.slow
    def test_documented_examples_offline_with_timms_cache(self):
        """The issue's "done when": with timm's Hub cache populated and
        HF_HUB_OFFLINE=1 (real environment variables, a fresh process), the
        documented calls give timm's logits, preprocessing and labels, and a
        fine-tuned model saved with `save_pretrained` loads back."""
        root = self.get_temp_dir()
        cache = os.path.join(root, "hf", "hub")
        os.makedirs(cache)
        repo_id = "timm/mixer_b16_224.goog_in21k_ft_in1k"
        publish_timm(cache, repo_id, "mixer_b16_224")
        # PNG bytes under the pages' file name: PIL (the Python example) and
        # TensorFlow (predict.py) decode JPEG differently, by up to 4 levels,
        # which would hide a difference of preprocessing.
        keras.utils.save_img(os.path.join(root, "cat.jpg"),
                             np.random.RandomState(0).randint(0, 255, (300, 400, 3)), file_format="png")
        code = "\n".join(
            code for path in ("README.md", "docs/hub.md")
            for marker, code in examples(path) if marker == EXAMPLE_MARKER
        )
        check = f"""
            reference = timm.create_model("hf-hub:{repo_id}", pretrained=True).eval()
            with torch.no_grad():
                expected = reference(torch.from_numpy(np.transpose(np.asarray(x), (0, 3, 1, 2))))
            gap = float(np.max(np.abs(logits - expected.numpy())))
            assert gap <= 1e-4, gap
            assert meta.preprocessing.mean == (0.5, 0.5, 0.5) and meta.preprocessing.crop_pct == 0.875
            assert meta.class_names[281] == "n02123045"
            print("max logit difference vs timm", gap)
            top = int(np.argmax(logits[0]))
            print("top-1", meta.class_names[top], f"{{float(keras.ops.softmax(logits[0])[top]):.4f}}")
        """
        program = "import timm, torch\n" + code + textwrap.dedent(check)
        env = dict(os.environ, HF_HOME=os.path.join(root, "hf"), HF_HUB_OFFLINE="1",
                   KERAS_HOME=os.path.join(root, "keras"), PYTHONPATH=REPO_ROOT)
        result = subprocess.run([sys.executable, "-c", program], cwd=root, env=env,
                                capture_output=True, text=True, timeout=900)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr[-6000:])
        self.assertIn("max logit difference vs timm", result.stdout)
        _, name, probability = re.search(r"^top-1 .*$", result.stdout, re.M).group(0).split()

        # The commands of docs/hub.md (the handle alone) and README.md (the
        # tag, served by the same repository): the class and probability of
        # the page's Python example.
        os.makedirs(os.path.join(root, "photos"))
        shutil.copy(os.path.join(root, "cat.jpg"), os.path.join(root, "photos", "cat.jpg"))
        for path, pattern in (("docs/hub.md", "--weights=hf://"), ("README.md", "--model=mixer_b16 --weights=goog")):
            with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
                command = re.search(rf"^python examples/predict\.py {pattern}.*$", f.read(), re.M).group(0)
            words = [sys.executable, os.path.join(REPO_ROOT, "examples", "predict.py"), *command.split()[2:]]
            result = subprocess.run(words, cwd=root, env=env, capture_output=True, text=True, timeout=900)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr[-6000:])
            lines = result.stdout.splitlines()
            images = ["cat.jpg"] + (["photos/cat.jpg"] if "photos/" in command.split() else [])
            for image in images:
                # "  0.9805  n03884397 (283)" from the handle's class names,
                # "  0.9805  panpipe (n03884397)" from the tag's label set.
                top = lines[lines.index(image) + 1].replace("(", " ").replace(")", " ").split()
                self.assertIn(name, top, f"{command}: {result.stdout}")
                self.assertAlmostEqual(float(top[0]), float(probability), delta=1e-4, msg=command)
