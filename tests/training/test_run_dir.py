"""Run directories: named by what the run computes, state files found and moved aside."""

import os

from keras_mlp import atomic
from keras_mlp.training.run_dir import IDENTITY_FIELDS, RunDirectory, default_model_dir, run_identity
from tests.testing import TestCase

SETTINGS = dict(
    model="mixer_t4", dataset="digits", recipe="default", epochs=30, batch_size=64,
    image_size=32, weights=None, mixed_precision=None, seed=0, steps_per_epoch=None,
    eval_split=None, holdout_fraction=None, skip_corrupt=False, backend="jax",
)


class RunDirectoryTest(TestCase):
    def test_default_directory_is_the_same_for_the_same_run_only(self):
        name = default_model_dir(run_identity(**SETTINGS))
        self.assertEqual(name, default_model_dir(run_identity(**SETTINGS)))
        self.assertRegex(name, r"^runs/mixer_t4-digits-default-[0-9a-f]{8}$")
        for field, other in (("epochs", 31), ("seed", 1), ("batch_size", 32), ("model", "mixer_s32")):
            changed = default_model_dir(run_identity(**{**SETTINGS, field: other}))
            self.assertNotEqual(changed, name, field)
        self.assertEqual(set(run_identity(**SETTINGS)), set(IDENTITY_FIELDS))

    def test_weights_paths_are_absolute_in_the_identity(self):
        weights = os.path.join(self.get_temp_dir(), "final.keras")
        open(weights, "w").close()
        cwd = os.getcwd()
        try:
            os.chdir(self.get_temp_dir())
            identity = run_identity(**{**SETTINGS, "weights": "final.keras"})
        finally:
            os.chdir(cwd)
        self.assertEqual(identity["weights"], weights)

    def test_other_settings_in_the_same_directory_are_refused(self):
        run = RunDirectory(os.path.join(self.get_temp_dir(), "run"))
        os.makedirs(run.path)
        run.write_identity(run_identity(**SETTINGS))
        run.check_identity(run_identity(**SETTINGS))
        with self.assertRaisesRegex(ValueError, "other settings \\(epochs: 30 -> 50\\).*--restart"):
            run.check_identity(run_identity(**{**SETTINGS, "epochs": 50}))

    def test_the_backend_is_checked_but_does_not_rename_the_directory(self):
        run = RunDirectory(os.path.join(self.get_temp_dir(), "backend"))
        os.makedirs(run.path)
        run.write_identity(run_identity(**SETTINGS))
        with self.assertRaisesRegex(ValueError, "other settings \\(backend: 'jax' -> 'torch'\\)"):
            run.check_identity(run_identity(**{**SETTINGS, "backend": "torch"}))
        # The directory a run got before the backend was recorded keeps its name.
        torch_run = run_identity(**{**SETTINGS, "backend": "torch"})
        self.assertEqual(default_model_dir(torch_run), default_model_dir(run_identity(**SETTINGS)))

    def test_an_identity_recorded_without_the_backend_matches_any_backend(self):
        run = RunDirectory(os.path.join(self.get_temp_dir(), "old"))
        os.makedirs(run.path)
        old = {k: v for k, v in run_identity(**SETTINGS).items() if k != "backend"}
        atomic.write_json(run.identity_file, old)
        for backend in ("jax", "tensorflow", "torch"):
            run.check_identity(run_identity(**{**SETTINGS, "backend": backend}))
        with self.assertRaisesRegex(ValueError, "other settings \\(seed: 0 -> 1\\)"):
            run.check_identity(run_identity(**{**SETTINGS, "seed": 1}))

    def test_state_files_newest_first_and_moved_aside_never_deleted(self):
        run = RunDirectory(os.path.join(self.get_temp_dir(), "state"))
        os.makedirs(run.checkpoints)
        for epoch in (1, 2, 10):
            open(run.checkpoint(epoch), "w").close()
        open(os.path.join(run.checkpoints, f"{atomic.TEMP_PREFIX}99-epoch_011.keras"), "w").close()
        self.assertEqual([e for e, _ in run.epoch_files(run.checkpoints)], [10, 2, 1])
        self.assertTrue(run.has_state())
        self.assertEqual(run.remove_partial_files(), 1)

        moved = run.move_aside(run.checkpoint(10), "torn")
        self.assertEqual(moved, os.path.join(run.corrupt, "checkpoints-epoch_010.keras"))
        open(run.checkpoint(10), "w").close()
        self.assertEqual(run.move_aside(run.checkpoint(10), "torn again"), moved + ".2")
        self.assertEqual([e for e, _ in run.epoch_files(run.checkpoints)], [2, 1])

    def test_finished_only_with_results_and_final_model(self):
        run = RunDirectory(os.path.join(self.get_temp_dir(), "done"))
        os.makedirs(run.path)
        self.assertFalse(run.has_state())
        run.write_results({"top1": 0.9})
        self.assertIsNone(run.results(), "no final.keras yet")
        open(run.final, "w").close()
        self.assertEqual(run.results(), {"top1": 0.9})
