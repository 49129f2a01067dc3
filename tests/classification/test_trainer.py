"""The training loop end to end on the embedded digits, kept tiny."""

import csv
import os

import keras
import numpy as np
import pytest

import keras_mlp
from keras_mlp.classification import TrainConfig, evaluate, train
from keras_mlp.classification.predict import load_classifier, predict_files, prediction_weights
from keras_mlp.classification.trainer import plan
from keras_mlp.data.embedded import load_digits
from keras_mlp.model_io.metadata import load_model, save_model
from keras_mlp.training.run_session import lock_run
from keras_mlp.validation import InputSizeError
from tests.saved_models import TINY_METADATA, tear
from tests.testing import TestCase

_ABSENT = object()
TINY = dict(model="mixer_t4", epochs=2, batch_size=32, image_size=16, steps_per_epoch=3, verbose=0)


class Interrupt(keras.callbacks.Callback):
    """Stops the process' training after the first epoch, as a kill would."""

    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt("interrupted after epoch 1")


class PoisonWeights(keras.callbacks.Callback):
    """Makes one kernel NaN as the second epoch starts, as a diverging step would."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            kernel = self.model.trainable_weights[0]
            kernel.assign(keras.ops.full(kernel.shape, float("nan")))


def history_epochs(model_dir):
    with open(os.path.join(model_dir, "history.csv"), newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def snapshot(directory):
    return {
        os.path.join(root, name): os.stat(os.path.join(root, name)).st_mtime_ns
        for root, _, files in os.walk(directory)
        for name in files
    }


class TrainerTest(TestCase):
    def test_run_writes_everything_and_its_model_scores_alike_everywhere(self):
        model_dir = os.path.join(self.get_temp_dir(), "run")
        model, results = train(TrainConfig(**TINY, model_dir=model_dir))
        for name in ("run.json", "history.csv", "learning_curves.png", "final.keras",
                     "results.json", "checkpoints/epoch_001.keras", "checkpoints/epoch_002.keras"):
            self.assertTrue(os.path.exists(os.path.join(model_dir, name)), name)
        self.assertTrue(os.listdir(os.path.join(model_dir, "logs")))
        self.assertFalse(os.path.exists(os.path.join(model_dir, "backup")), "only for resumption")
        self.assertFalse(os.path.exists(os.path.join(model_dir, "run.lock")))
        self.assertEqual(history_epochs(model_dir), [0, 1])

        # final.keras alone: model, classes, preprocessing, dataset and split.
        saved, meta = load_model(results["final_model"])
        self.assertEqual(meta.class_names, tuple(str(i) for i in range(10)))
        self.assertEqual(
            (meta.preprocessing.input_size, meta.preprocessing.crop_pct, meta.preprocessing.interpolation),
            (16, 1.0, "bilinear"),
        )
        self.assertEqual(meta.extra["results"]["top1"], results["top1"])
        metrics = evaluate(saved, meta.extra["dataset"], meta.extra["eval_split"],
                           meta.preprocessing, class_names=meta.class_names)
        self.assertEqual(metrics["top1"], results["top1"])
        self.assertTrue(np.isfinite(results["loss"]))
        self.assertGreaterEqual(metrics["top5"], metrics["top1"])

        # The same accuracy from image files, through predict's own pipeline.
        images, labels = load_digits()["test"]
        paths = []
        for i, image in enumerate(images):
            paths.append(os.path.join(self.get_temp_dir(), "png", f"{i}.png"))
            os.makedirs(os.path.dirname(paths[-1]), exist_ok=True)
            keras.utils.save_img(paths[-1], image, scale=False)
        record = prediction_weights(model_dir)
        classifier = load_classifier(record)
        predictions = predict_files(classifier, record, paths, top=1, batch_size=64)
        accuracy = np.mean([int(p.top[0][1]) == y for p, y in zip(predictions, labels)])
        self.assertAllClose(accuracy, results["top1"], atol=1e-6)

        # The same command again: the run is finished, nothing is touched.
        before = snapshot(model_dir)
        _, again = train(TrainConfig(**TINY, model_dir=model_dir, resume=False))
        self.assertEqual(again, results)
        self.assertEqual(snapshot(model_dir), before)

    @pytest.mark.slow
    def test_interrupted_run_with_a_torn_backup_resumes_from_its_checkpoint(self):
        model_dir = os.path.join(self.get_temp_dir(), "interrupted")
        with self.assertRaises(KeyboardInterrupt):
            train(TrainConfig(**TINY, model_dir=model_dir), callbacks=[Interrupt()])
        self.assertFalse(os.path.exists(os.path.join(model_dir, "run.lock")))
        tear(os.path.join(model_dir, "backup", "epoch_001.weights.h5"))
        _, results = train(TrainConfig(**TINY, model_dir=model_dir))
        self.assertEqual(history_epochs(model_dir), [0, 1])
        self.assertEqual(os.listdir(os.path.join(model_dir, "corrupt")), ["backup-epoch_001.weights.h5"])
        self.assertEqual(results["final_model"], os.path.join(model_dir, "final.keras"))

    def test_a_diverged_run_fails_naming_the_epoch_and_keeps_its_finite_checkpoint(self):
        model_dir = os.path.join(self.get_temp_dir(), "diverged")
        with self.assertRaisesRegex(FloatingPointError, r"diverged in epoch 2: the training loss is nan at step 1"):
            train(TrainConfig(**{**TINY, "steps_per_epoch": 1, "batch_size": 8}, model_dir=model_dir),
                  callbacks=[PoisonWeights()])
        self.assertEqual(sorted(os.listdir(os.path.join(model_dir, "checkpoints"))), ["epoch_001.keras"])
        for name in ("final.keras", "results.json", "run.lock"):
            self.assertFalse(os.path.exists(os.path.join(model_dir, name)), name)
        saved, _ = load_model(os.path.join(model_dir, "checkpoints", "epoch_001.keras"))
        self.assertTrue(all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in saved.weights))

    def test_flags_are_checked_before_any_work(self):
        model_dir = os.path.join(self.get_temp_dir(), "never")
        cases = [
            (dict(epochs=0), "`epochs` must be a positive int. Received: epochs=0"),
            (dict(epochs=-3), "Received: epochs=-3"),
            (dict(batch_size=0), "Received: batch_size=0"),
            (dict(steps_per_epoch=0), "Received: steps_per_epoch=0"),
            (dict(image_size=-1), "Received: image_size=-1"),
        ]
        for overrides, message in cases:
            with self.assertRaisesRegex(ValueError, message):
                plan(TrainConfig(**{**TINY, **overrides}, model_dir=model_dir))
        with self.assertRaisesRegex(ValueError, "--batch_size=5000 exceeds the 1437 training examples"):
            train(TrainConfig(**{**TINY, "batch_size": 5000}, model_dir=model_dir))
        with self.assertRaisesRegex(InputSizeError, "--image_size=30 does not fit mixer_t4.*multiples of the patch size 4"):
            train(TrainConfig(**{**TINY, "image_size": 30}, model_dir=model_dir))
        self.assertFalse(os.path.exists(model_dir))
        self.assertEqual(plan(TrainConfig()).epochs, 30, "None means the recipe's")

    def test_model_and_input_size_come_from_the_weights_metadata(self):
        final = os.path.join(self.get_temp_dir(), "source_run", "final.keras")
        os.makedirs(os.path.dirname(final))
        model = TINY_METADATA.build()
        save_model(model, final, TINY_METADATA)
        hub_folder = os.path.join(self.get_temp_dir(), "hub_folder")
        keras_mlp.save_pretrained(model, hub_folder, TINY_METADATA)
        for weights in (final, os.path.dirname(final), hub_folder):
            run_plan = plan(TrainConfig(weights=weights, recipe="finetune"))
            self.assertEqual((run_plan.model, run_plan.image_size), ("mixer_t4", 16), weights)
            self.assertEqual(run_plan.weights_preprocessing, TINY_METADATA.preprocessing)
        with self.assertRaisesRegex(ValueError, "holds a mixer_t4 model, not mixer_s16"):
            plan(TrainConfig(model="mixer_s16", weights=final))

    def test_restart_keeps_the_previous_run_renamed(self):
        model_dir = os.path.join(self.get_temp_dir(), "again")
        os.makedirs(model_dir)
        for name in ("final.keras", "results.json"):
            with open(os.path.join(model_dir, name), "w") as f:
                f.write("{}")
        config = TrainConfig(**TINY, model_dir=model_dir, restart=True)
        lock_run(plan(config), config).release()
        (archived,) = [d for d in os.listdir(self.get_temp_dir()) if d.startswith("again.replaced-")]
        self.assertEqual(sorted(os.listdir(os.path.join(self.get_temp_dir(), archived))),
                         ["final.keras", "results.json"])
        self.assertEqual(os.listdir(model_dir), [])

    def test_unfinished_run_is_not_overwritten(self):
        model_dir = os.path.join(self.get_temp_dir(), "busy")
        os.makedirs(os.path.join(model_dir, "backup"))
        open(os.path.join(model_dir, "backup", "epoch_001.weights.h5"), "w").close()
        with self.assertRaisesRegex(ValueError, "Drop --noresume"):
            train(TrainConfig(model_dir=model_dir, resume=False))

    def finished_run(self, name, **identity_changes):
        """A finished TINY run's directory, its recorded identity changed."""
        model_dir = os.path.join(self.get_temp_dir(), name)
        run_plan = plan(TrainConfig(**TINY, model_dir=model_dir))
        os.makedirs(model_dir)
        identity = {**run_plan.identity, **identity_changes}
        for key in [k for k, v in identity.items() if v is _ABSENT]:
            del identity[key]
        run_plan.run.write_identity(identity)
        save_model(TINY_METADATA.build(), run_plan.run.final, TINY_METADATA)
        run_plan.run.write_results({"top1": 0.975})
        return model_dir

    def test_finished_run_with_other_settings_is_refused(self):
        for name, changes, message in (
            ("other_model", dict(model="gmlp_ti16"), "model: 'gmlp_ti16' -> 'mixer_t4'"),
            ("other_backend", dict(backend="not_this_one"), "backend: 'not_this_one' -> "),
        ):
            model_dir = self.finished_run(name, **changes)
            before = snapshot(model_dir)
            with self.assertRaisesRegex(ValueError, f"holds a run with other settings \\({message}.*--restart"):
                train(TrainConfig(**TINY, model_dir=model_dir))
            self.assertEqual(snapshot(model_dir), before)

    def test_finished_run_recorded_without_the_backend_is_still_reported(self):
        model_dir = self.finished_run("before_backend", backend=_ABSENT)
        _, results = train(TrainConfig(**TINY, model_dir=model_dir))
        self.assertEqual(results, {"top1": 0.975})

    def test_bad_mixed_precision(self):
        with self.assertRaisesRegex(ValueError, "`mixed_precision` must be one of"):
            train(TrainConfig(mixed_precision="float8"))

    @pytest.mark.slow
    def test_xla_on_request(self):
        # Keras' "auto" is no XLA on a TensorFlow CPU (this test's): the setting reaches compile.
        model_dir = os.path.join(self.get_temp_dir(), "xla")
        config = TrainConfig(**{**TINY, "epochs": 1, "steps_per_epoch": 1}, model_dir=model_dir, jit_compile="true")
        model, results = train(config)
        self.assertIs(model.jit_compile, True)
        self.assertTrue(os.path.isfile(results["final_model"]))

    def test_bad_jit_compile(self):
        with self.assertRaisesRegex(ValueError, r"`jit_compile` must be one of .* Received: jit_compile='yes'"):
            plan(TrainConfig(jit_compile="yes"))

    def test_multi_worker_needs_a_shared_model_dir(self):
        with self.assertRaisesRegex(ValueError, "needs a `model_dir` that every worker"):
            train(TrainConfig(strategy="multi_worker"))
