"""The model contract, checked for every registered model the same way.

Each check runs on the smallest model of every family (the TFLite export
and the training step under `-m slow`, which CI runs) and on every registered
name under `-m slow`; nothing below knows which family a model belongs to.
"""

import inspect
import json
import os

import keras
import numpy as np
import pytest
from absl.testing import parameterized

import keras_mlp
from keras_mlp.classification import TrainConfig, train
from keras_mlp.export import export_model, run_artifact
from keras_mlp.layers import Reparameterizable
from keras_mlp.models import factory
from keras_mlp.models.factory import CONTRACT
from keras_mlp.models.naming import block_name, block_of
from tests.data.folders import image_folder
from tests.registered_models import REPRESENTATIVES, TINY_MODELS, randomize_head, smallest_side
from tests.testing import TestCase

SLOW_NAMES = sorted(set(keras_mlp.list_models()) - set(REPRESENTATIVES))


def _build(model_name, side, **kwargs):
    return keras_mlp.create_model(model_name, input_shape=(side, side, 3), **kwargs)


def _images(side, batch=2, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, size=(batch, side, side, 3)).astype("float32")


class ConformanceTest(TestCase, parameterized.TestCase):
    def check_contract(self, name):
        signature = inspect.signature(keras_mlp.get_constructor(name))
        contract_names = [n for n, _ in CONTRACT]
        self.assertEqual(list(signature.parameters)[: len(CONTRACT)], contract_names)
        for parameter, (_, default) in zip(signature.parameters.values(), CONTRACT):
            if parameter.name != "classes":
                self.assertEqual(parameter.default, default, parameter.name)
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'not_an_argument'"):
            keras_mlp.create_model(name, not_an_argument=1)

    def check_forward_and_files(self, name, side):
        keras.utils.set_random_seed(0)
        kwargs = dict(classes=3, classifier_activation=None, name=f"{name}_check")
        model = _build(name, side, **kwargs)
        self.check_initial_weights(model)
        randomize_head(model)
        self.assertEqual(model.name, f"{name}_check")
        x = _images(side)
        y = self.assertDependsOnTheInput(model, x, (2, 3), 1e-6)
        # The inference path for the pair: the graph on a TensorFlow CPU
        # (XLA, which batch 1 takes, in `check_xla_and_keras_file`).
        forward = keras_mlp.inference_function(model)
        self.assertAllClose(forward(x), y, atol=1e-5, rtol=1e-5)

        keras_path = os.path.join(self.get_temp_dir(), f"{name}.keras")
        model.save(keras_path)
        restored = keras.saving.load_model(keras_path)
        self.assertAllClose(restored(x, training=False), y, atol=1e-5)
        weights_path = os.path.join(self.get_temp_dir(), f"{name}.weights.h5")
        model.save_weights(weights_path)
        rebuilt = _build(name, side, weights=weights_path, **kwargs)
        self.assertAllClose(rebuilt(x, training=False), y, atol=1e-5)
        return model, x, y

    def check_xla_and_keras_file(self, name, side, model, x, y):
        """XLA for one image (where layers take their XLA forms; XLA's own
        kernels round differently: DeiT-Tiny up to 2.4e-5 off), and the
        `.keras` file as `weights=` (the resolver's tests cover that path on
        one model; compiling XLA and loading twice take 15-20 s a family)."""
        forward = keras_mlp.inference_function(model)
        self.assertAllClose(forward(x[:1]), y[:1], atol=1e-4, rtol=1e-4)
        keras_path = os.path.join(self.get_temp_dir(), f"{name}.keras")
        rebuilt = _build(name, side, weights=keras_path, classes=3, classifier_activation=None, name=f"{name}_check")
        self.assertAllClose(rebuilt(x, training=False), y, atol=1e-5)

    def check_initial_weights(self, model):
        """No two random weights are drawn from one seed: an initializer
        instance shared by several weights fills each with the same stream,
        scaled (a block's kernels would start as copies of each other)."""
        starts = {w.path: keras.ops.convert_to_numpy(w).ravel()[:16] for w in model.weights}
        starts = {path: start for path, start in starts.items() if start.size == 16 and np.ptp(start) > 0}
        paths = list(starts)
        correlation = np.abs(np.corrcoef(np.stack([starts[path] for path in paths])))
        np.fill_diagonal(correlation, 0)
        one_stream = [(paths[i], paths[j]) for i, j in zip(*np.nonzero(correlation > 0.999)) if i < j]
        self.assertEqual(one_stream, [], "weights that start from one random stream")

    def check_features(self, name, side):
        backbone = _build(name, side, include_top=False)
        names = keras_mlp.block_names(backbone)
        self.assertNotEmpty(names)
        # Stages and blocks are counted from 0 without gaps, in every family.
        stages = {}
        for block in names:
            stage, _, index = block.rpartition("block_")
            stages.setdefault(stage, []).append(int(index))
        for stage, indices in stages.items():
            self.assertEqual(indices, list(range(len(indices))), stage)
        if list(stages) != [""]:
            self.assertEqual(list(stages), [f"stage{s}_" for s in range(len(stages))])

        def full_name(stage, index):
            return block_name(index, int(stage[len("stage"):-1]) if stage else None)

        self.assertEqual(names, [full_name(s, i) for s, indices in stages.items() for i in indices])
        self.assertTrue(all(block_of(n) == n for n in names))

        features = keras_mlp.feature_extractor(backbone)
        self.assertEqual(list(features.output), names)
        # features_only: at least the end of every stage, only block outputs.
        only = _build(name, side, include_top=False, features_only=True)
        self.assertIsInstance(only.output, dict)
        self.assertTrue(set(only.output) <= set(names))
        for stage, indices in stages.items():
            self.assertIn(full_name(stage, indices[-1]), only.output)
        with self.assertRaisesRegex(ValueError, "include_top=False"):
            _build(name, side, features_only=True)

    def check_training_step(self, name, side):
        # Four training and two test images: the step, its evaluation and the
        # saves all run at the model's size, which is 224 px for some families.
        dataset = image_folder(
            os.path.join(self.get_temp_dir(), "images"),
            {"train/a": 2, "train/b": 2, "test/a": 1, "test/b": 1},
            noise=True,
        )
        model_dir = os.path.join(self.get_temp_dir(), f"run_{name}")
        config = TrainConfig(
            model=name, dataset=dataset, image_size=side, epochs=1, steps_per_epoch=1,
            batch_size=2, model_dir=model_dir, verbose=0,
        )
        _, results = train(config)
        self.assertTrue(os.path.isfile(results["final_model"]))
        self.assertTrue(np.isfinite(results["loss"]))
        # Two classes: a top-5 would be 1.0 whatever the model, so there is none.
        with open(os.path.join(model_dir, "results.json")) as f:
            stored = json.load(f)
        with open(os.path.join(model_dir, "history.csv")) as f:
            columns = f.readline().strip().split(",")
        self.assertIn("val_accuracy", columns)
        for where in (results, stored, columns):
            self.assertFalse([key for key in where if "top5" in key], where)

    def check_reparameterize_and_flops(self, model, x, y):
        """The deploy form (the model itself where nothing is reparameterizable)."""
        if any(isinstance(layer, Reparameterizable) for layer in model._flatten_layers()):
            deploy = keras_mlp.reparameterize(model)
            self.assertAllClose(deploy(x, training=False), y, atol=1e-4, rtol=1e-4)
            model = deploy
        # Every kernel weight is used at least once per image.
        kernels = sum(int(np.prod(v.shape)) for v in model.trainable_weights if len(v.shape) >= 2)
        self.assertGreaterEqual(keras_mlp.count_flops(model), 2 * kernels)
        return model

    def check_tflite(self, name, deploy, x, y):
        path = os.path.join(self.get_temp_dir(), f"{name}.tflite")
        export_model(deploy, path, "tflite")
        self.assertAllClose(run_artifact(path, "tflite", x), y, atol=1e-4, rtol=1e-4)

    def check_model(self, name):
        """Everything but the slow steps (XLA, TFLite conversion, a training
        run); returns what those need."""
        side = smallest_side(name)
        self.check_contract(name)
        model, x, y = self.check_forward_and_files(name, side)
        self.check_features(name, side)
        return side, model, self.check_reparameterize_and_flops(model, x, y), x, y

    def prepared(self, name):
        """What the slow steps start from, without the checks of `check_model`
        that the default suite ran on the same model: `check_forward_and_files`'
        model, images, outputs and `.keras` file, and the deploy form."""
        side = smallest_side(name)
        keras.utils.set_random_seed(0)
        model = _build(name, side, classes=3, classifier_activation=None, name=f"{name}_check")
        randomize_head(model)
        x = _images(side)
        y = keras.ops.convert_to_numpy(model(x, training=False))
        model.save(os.path.join(self.get_temp_dir(), f"{name}.keras"))
        reparameterizable = any(isinstance(layer, Reparameterizable) for layer in model._flatten_layers())
        return side, model, keras_mlp.reparameterize(model) if reparameterizable else model, x, y

    def check_all(self, name, checked=False):
        """The slow steps, after `check_model` unless the default suite
        `checked` this model already. A representative's TFLite file is its
        deploy form's, where reparameterizing changes the model: every
        family's layers are converted already, in
        tests/export/test_formats.py's tiny models."""
        side, model, deploy, x, y = self.prepared(name) if checked else self.check_model(name)
        self.check_xla_and_keras_file(name, side, model, x, y)
        if deploy is not model or not checked:
            self.check_tflite(name, deploy, x, y)
        self.check_training_step(name, side)

    @parameterized.parameters(*REPRESENTATIVES)
    def test_family_representative(self, name):
        self.check_model(name)

    # Tracing a 30-block model's train step and converting it to TFLite take
    # most of a minute each; CI's slow selection runs these for every family.
    @parameterized.parameters(*REPRESENTATIVES)
    @pytest.mark.slow
    def test_family_representative_exports_and_trains(self, name):
        self.check_all(name, checked=True)

    @parameterized.parameters(*SLOW_NAMES)
    @pytest.mark.slow
    def test_every_registered_model(self, name):
        self.check_all(name)

    @parameterized.parameters(*REPRESENTATIVES)
    def test_a_size_that_does_not_fit_is_an_input_size_error(self, name):
        with self.assertRaisesRegex(keras_mlp.InputSizeError, r"Received: input_shape=\(7, 7, 3\)"):
            keras_mlp.create_model(name, include_top=False, input_shape=(7, 7, 3))

    @parameterized.parameters(*sorted(TINY_MODELS))
    def test_initial_weights_follow_the_global_seed(self, family):
        def weights(seed):
            keras.utils.set_random_seed(seed)
            return {w.path: keras.ops.convert_to_numpy(w) for w in TINY_MODELS[family](classes=3).weights}

        first, again, other = weights(0), weights(0), weights(1)
        for path, value in first.items():
            self.assertAllEqual(again[path], value, msg=path)
            if value.std() > 0:
                self.assertNotAllClose(other[path], value, msg=f"{path} ignores keras.utils.set_random_seed")

    def test_every_model_is_in_a_family_it_represents(self):
        declared = [name for family in factory.families() for name in factory.family_models(family)]
        self.assertCountEqual(declared, keras_mlp.list_models())
        for family in factory.families():
            self.assertIn(family.representative, factory.family_models(family))
