"""Exported artifacts compute what the Keras model computes, in their own runtime."""

import os
import subprocess
import sys
import warnings
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

import keras_mlp
from keras_mlp.export import (
    FORMATS,
    available_formats,
    check_formats,
    export_model,
    run_artifact,
    verify_export,
)
from keras_mlp.export.runtime import tflite_interpreter
from tests.registered_models import TINY_MODELS, images, logits_model
from tests.segmentation.tiny import tiny_segmenter
from tests.testing import REPO_ROOT, TestCase

SUFFIXES = {"tf_saved_model": "", "tflite": ".tflite", "tflite_int8": ".tflite", "onnx": ".onnx"}
# The default suite exports every family to ONNX, where a missing operator
# would show (CycleMLP's official deform_conv2d has no ONNX export), and the
# Mixer to every format; the other families' other formats (5-15 s each) run
# under -m slow, and every family's TFLite also in the conformance checks CI runs.
EVERY_FORMAT = "mlp_mixer"


class ExportTest(TestCase, parameterized.TestCase):
    def check_export(self, name, format):
        model = logits_model(name)
        x = images(model)
        expected = model.predict(x, verbose=0)
        path = os.path.join(self.get_temp_dir(), f"{name}{SUFFIXES[format]}")
        export_model(model, path, format)
        outputs = run_artifact(path, format, x)
        self.assertEqual(outputs.shape, expected.shape)
        if format == "tflite_int8":
            # int8 weights: logits within 5% of their range (measured: under
            # 1%), not the same logits. No argmax check: a random model's top
            # two logits can be closer than that, and int8 kernels round
            # differently on different CPUs.
            self.assertAllClose(outputs, expected, atol=0.05 * np.ptp(expected), rtol=0)
            self.assertNotAllClose(outputs, expected, atol=1e-6)
        else:
            self.assertAllClose(outputs, expected, atol=1e-4, rtol=0)

    @parameterized.parameters(
        *[(f, fmt) for f in sorted(TINY_MODELS) for fmt in FORMATS if f == EVERY_FORMAT or fmt == "onnx"]
    )
    def test_tiny_model_of_each_family(self, family, format):
        self.check_export(family, format)

    @parameterized.parameters(
        *[(f, fmt) for f in sorted(TINY_MODELS) for fmt in FORMATS if f != EVERY_FORMAT and fmt != "onnx"]
    )
    @pytest.mark.slow
    def test_tiny_model_of_each_family_in_the_other_formats(self, family, format):
        self.check_export(family, format)

    @parameterized.product(name=keras_mlp.list_models(), format=FORMATS)
    @pytest.mark.slow
    def test_every_registered_model(self, name, format):
        self.check_export(name, format)

    def test_unknown_format(self):
        model = logits_model("mlp_mixer")
        with self.assertRaisesRegex(ValueError, "format='coreml'"):
            export_model(model, self.get_temp_dir(), "coreml")
        with self.assertRaisesRegex(ValueError, "Unknown `format`"):
            run_artifact(self.get_temp_dir(), "coreml", images(model))

    def test_tflite_runs_on_litert_and_on_tensorflows_interpreter_without_it(self):
        from ai_edge_litert.interpreter import Interpreter

        model = logits_model("mlp_mixer")
        x = images(model)
        path = os.path.join(self.get_temp_dir(), "mixer.tflite")
        export_model(model, path, "tflite")
        self.assertIsInstance(tflite_interpreter(path), Interpreter)
        expected = model.predict(x, verbose=0)
        self.assertAllClose(run_artifact(path, "tflite", x), expected, atol=1e-4, rtol=0)
        with mock.patch.dict(sys.modules, {"ai_edge_litert": None, "ai_edge_litert.interpreter": None}):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # TensorFlow's deprecation notice, the reason for LiteRT
                self.assertIsInstance(tflite_interpreter(path), tf.lite.Interpreter)
                self.assertAllClose(run_artifact(path, "tflite", x), expected, atol=1e-4, rtol=0)

    def test_exact_gelu_exports_to_onnx(self):
        # tf2onnx has no rule for TF's Erfc (exact GELU) without ours.
        model = logits_model("mlp_mixer")
        self.assertFalse(model.get_layer("block_0").gelu_approximate)
        path = os.path.join(self.get_temp_dir(), "mixer.onnx")
        export_model(model, path, "onnx")
        import onnx

        ops = {node.op_type for node in onnx.load(path).graph.node}
        self.assertIn("Erf", ops)
        self.assertNotIn("Erfc", ops)


class ExportChecksTest(TestCase):
    def test_missing_converter_is_reported_before_anything_is_written(self):
        with mock.patch.dict(sys.modules, {"tf2onnx": None}):  # as on a [cpu] install
            self.assertEqual(available_formats(), ("tf_saved_model", "tflite", "tflite_int8"))
            with self.assertRaisesRegex(ValueError, "onnx needs tf2onnx.*pip install tf2onnx"):
                check_formats(["tflite", "onnx"])
        with mock.patch.dict(sys.modules, {"onnxruntime": None}):
            self.assertNotIn("onnx", available_formats(verify=True))
            self.assertIn("onnx", available_formats(verify=False))
        check_formats(FORMATS, verify=True)

    def test_untrained_mixer_is_verified_through_a_random_head(self):
        model = logits_model("mlp_mixer")
        model.get_layer("predictions").set_weights(
            [np.zeros(w.shape, w.dtype) for w in model.get_layer("predictions").get_weights()]
        )
        x = images(model)
        path = os.path.join(self.get_temp_dir(), "zero_head.tflite")
        export_model(model, path, "tflite")
        check = verify_export(model, path, "tflite", x)
        self.assertIn("random head", check.note)
        self.assertLess(check.max_abs_diff, 1e-4)

        # The check can fail: a converter that got the body wrong is caught,
        # although the zero head makes every real output the same.
        def broken_export(probe, probe_path, format):
            wrong = keras.models.clone_model(probe)
            wrong.set_weights([w + 0.1 for w in probe.get_weights()])
            export_model(wrong, probe_path, format)

        with mock.patch("keras_mlp.export.verify.export_model", broken_export):
            self.assertGreater(verify_export(model, path, "tflite", x).max_abs_diff, 1e-2)

    def test_trained_model_is_verified_as_it_is(self):
        model = logits_model("mlp_mixer")
        path = os.path.join(self.get_temp_dir(), "trained.tflite")
        export_model(model, path, "tflite")
        check = verify_export(model, path, "tflite", images(model))
        self.assertIsNone(check.note)
        self.assertEqual(check.same_top1, 1.0)

    def test_face_embedder_is_compared_by_cosine(self):
        keras.utils.set_random_seed(0)
        embedder = keras_mlp.FaceEmbedder("mixer_t4", embedding_dim=8, input_shape=(16, 16, 3))
        path = os.path.join(self.get_temp_dir(), "embedder.tflite")
        export_model(embedder, path, "tflite")
        x = images(embedder)
        check = verify_export(embedder, path, "tflite", x)
        self.assertLess(check.max_abs_diff, 1e-4)
        self.assertGreater(check.min_cosine, 1 - 1e-6)
        # An artifact of another embedder (other weights) points elsewhere.
        other = keras_mlp.FaceEmbedder("mixer_t4", embedding_dim=8, input_shape=(16, 16, 3))
        self.assertLess(verify_export(other, path, "tflite", x).min_cosine, 0.9)


class ExportFilesTest(TestCase):
    def test_grouped_convs_of_the_training_form_export_to_valid_onnx(self):
        # repmlp_cifar's training form: tf2onnx could not inline Keras' grouped
        # conv and wrote a StatefulPartitionedCall that onnx.checker rejects.
        keras.utils.set_random_seed(0)
        inputs = keras.Input((8, 8, 4))
        outputs = keras_mlp.layers.RepMLPV1Block(h=4, w=4, fc3_groups=2)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(outputs)))
        path = os.path.join(self.get_temp_dir(), "grouped.onnx")
        export_model(model, path, "onnx")
        import onnx

        ops = {node.op_type for node in onnx.load(path).graph.node}
        self.assertNotIn("StatefulPartitionedCall", ops)
        x = images(model)
        self.assertAllClose(run_artifact(path, "onnx", x), model.predict(x, verbose=0), atol=1e-4)

    def test_an_artifact_that_fails_its_check_is_not_left_behind(self):
        import onnx

        model = logits_model("mlp_mixer")
        path = os.path.join(self.get_temp_dir(), "rejected", "mixer.onnx")
        os.makedirs(os.path.dirname(path))

        def reject(_):
            raise onnx.checker.ValidationError("No Op registered for StatefulPartitionedCall")

        with mock.patch("onnx.checker.check_model", reject):
            with self.assertRaisesRegex(ValueError, "invalid ONNX graph, which was not kept: No Op registered"):
                export_model(model, path, "onnx")
        self.assertEqual(os.listdir(os.path.dirname(path)), [])

    def test_formats_this_backend_cannot_write_are_refused_before_any_is_written(self):
        with mock.patch("keras.backend.backend", return_value="jax"):
            self.assertEqual(available_formats(), ("tf_saved_model",))
            check_formats(["tf_saved_model"])
            with self.assertRaisesRegex(ValueError, "format='tflite'` needs the tensorflow backend.*'jax'"):
                check_formats(["tf_saved_model", "tflite"])
            with self.assertRaisesRegex(ValueError, "format='onnx'` needs the tensorflow backend"):
                export_model(logits_model("mlp_mixer"), os.path.join(self.get_temp_dir(), "m.onnx"), "onnx")
        self.assertEqual(os.listdir(self.get_temp_dir()), [])

    @pytest.mark.slow
    def test_export_script_on_jax_refuses_tflite_before_writing(self):
        output_dir = os.path.join(self.get_temp_dir(), "jax_export")
        result = subprocess.run(
            [sys.executable, os.path.join(REPO_ROOT, "examples", "export.py"), "--model=mixer_t4",
             "--classes=10", f"--output_dir={output_dir}", "--formats=tf_saved_model,tflite"],
            capture_output=True, text=True, timeout=600,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, KERAS_BACKEND="jax"),
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("format='tflite'` needs the tensorflow backend", result.stderr)
        self.assertFalse(os.path.exists(output_dir))


class ExportSegmenterTest(TestCase, parameterized.TestCase):
    def test_tiny_segmenter_to_tflite(self):
        # The pyramid pooling's einsum once left TFLite unable to size its tensors.
        self.check_segmenter("tflite")

    @parameterized.parameters(*FORMATS)
    @pytest.mark.slow
    def test_tiny_segmenter(self, format):
        self.check_segmenter(format)

    def check_segmenter(self, format):
        model = tiny_segmenter(keras_mlp.UPerNet, "mlp_mixer")
        x = images(model, batch=2)
        path = os.path.join(self.get_temp_dir(), f"upernet{SUFFIXES[format]}")
        export_model(model, path, format)
        check = verify_export(model, path, format, x)
        self.assertEqual(run_artifact(path, format, x).shape, (2, 32, 32, 3))
        self.assertIsNone(check.note)
        # Compared pixel by pixel; int8 weights move logits, not most classes.
        if format == "tflite_int8":
            self.assertGreater(check.same_top1, 0.9)
        else:
            self.assertLess(check.max_abs_diff, 1e-4)
            self.assertEqual(check.same_top1, 1.0)
