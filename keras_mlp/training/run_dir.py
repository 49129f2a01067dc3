"""A training run's directory: its name, its files, and whether it is done.

Layout of a run directory:

    run.json                     the run's identity (what it trains, how)
    run.lock                     held by the process training there
    checkpoints/epoch_NNN.keras  full model, optimizer and metadata, every epoch
    backup/epoch_NNN.weights.h5  the newest training state, for resumption
    history.csv                  one row per completed epoch
    learning_curves.png          loss and metrics, train and validation
    logs/                        TensorBoard
    final.keras                  the trained model with its metadata
    results.json                 final evaluation; its presence marks the run finished
    corrupt/                     unreadable files found on resumption, moved aside

Every file is written atomically (`keras_mlp.atomic`), so a kill at any
instant leaves the previous good state.
"""

import dataclasses
import datetime
import hashlib
import json
import os
import re

import keras

from keras_mlp import atomic
from keras_mlp.model_io.metadata import FINAL_MODEL, RUN_FILE

# The settings that change what a run computes; the default directory name is
# derived from them, so the same command finds the same directory again.
IDENTITY_FIELDS = (
    "model", "dataset", "recipe", "epochs", "batch_size", "image_size", "weights",
    "mixed_precision", "seed", "steps_per_epoch", "eval_split", "holdout_fraction",
    "skip_corrupt", "backend",
)
# Runs recorded before the backend was part of the identity lack it; they
# still name their directory and match any backend (which one ran is unknown).
_UNNAMED_FIELDS = ("backend",)
_EPOCH_FILE = re.compile(r"^epoch_(\d+)\.(keras|weights\.h5)$")


def run_identity(**settings):
    """The JSON-ready identity of a run from its resolved settings.

    A weights file's path is made absolute, so the same command from another
    working directory is the same run (pass a folder `dataset` through
    `keras_mlp.data.sources.dataset_id` for the same reason).
    """
    missing = sorted(set(IDENTITY_FIELDS) - set(settings))
    if missing:
        raise ValueError(f"A run's identity needs {missing}.")
    identity = {name: settings[name] for name in IDENTITY_FIELDS}
    if identity["weights"] is not None and os.path.exists(identity["weights"]):
        identity["weights"] = os.path.abspath(identity["weights"])
    return identity


def default_model_dir(identity, root="runs"):
    """`runs/<model>-<dataset>-<recipe>-<digest of the identity>`.

    Example:

    >>> default_model_dir(run_identity(model="mixer_t4", dataset="digits", ...))
    'runs/mixer_t4-digits-default-3f9c2a71'
    """
    named = {k: v for k, v in identity.items() if k not in _UNNAMED_FIELDS}
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()[:8]
    dataset = os.path.basename(os.path.normpath(identity["dataset"])).replace(":", "_")
    return os.path.join(root, f"{identity['model']}-{dataset}-{identity['recipe']}-{digest}")


class RunDirectory:
    """Paths and state of one run directory (see the module docstring)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.checkpoints = os.path.join(self.path, "checkpoints")
        self.backup = os.path.join(self.path, "backup")
        self.history = os.path.join(self.path, "history.csv")
        self.curves = os.path.join(self.path, "learning_curves.png")
        self.logs = os.path.join(self.path, "logs")
        self.final = os.path.join(self.path, FINAL_MODEL)
        self.results_file = os.path.join(self.path, "results.json")
        self.identity_file = os.path.join(self.path, RUN_FILE)
        self.corrupt = os.path.join(self.path, "corrupt")

    def checkpoint(self, epoch):
        """The checkpoint after `epoch` completed epochs."""
        return os.path.join(self.checkpoints, f"epoch_{epoch:03d}.keras")

    def backup_file(self, epoch):
        return os.path.join(self.backup, f"epoch_{epoch:03d}.weights.h5")

    def epoch_files(self, directory):
        """`[(epoch, path)]` of the state files in `directory`, newest first."""
        if not os.path.isdir(directory):
            return []
        found = []
        for name in os.listdir(directory):
            match = _EPOCH_FILE.match(name)
            if match:
                found.append((int(match.group(1)), os.path.join(directory, name)))
        return sorted(found, reverse=True)

    def results(self):
        """The final results of a finished run, else `None`."""
        if not (os.path.isfile(self.results_file) and os.path.isfile(self.final)):
            return None
        with open(self.results_file, encoding="utf-8") as f:
            return json.load(f)

    def has_state(self):
        """Whether an earlier run left anything to resume or to overwrite."""
        return any(
            os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path))
            for path in (self.identity_file, self.checkpoints, self.backup, self.history)
        )

    def check_identity(self, identity):
        """Raises unless the run recorded here, finished or not, is the run `identity` describes.

        A recorded identity without a field added since (`backend`) matches
        any value of it.
        """
        recorded = self.recorded_identity()
        if recorded is None:
            return
        changed = {
            name: (recorded.get(name), identity[name])
            for name in identity
            if recorded.get(name) != identity[name]
            and not (name in _UNNAMED_FIELDS and name not in recorded)
        }
        if changed:
            details = ", ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items())
            raise ValueError(
                f"{self.path} holds a run with other settings ({details}): its "
                "results are not this command's, and resuming it would mix two "
                "runs. Choose another --model_dir, or pass --restart to start "
                "this one over (the old run is kept, renamed)."
            )

    def recorded_identity(self):
        """What `run.json` holds, else `None`."""
        if not os.path.isfile(self.identity_file):
            return None
        with open(self.identity_file, encoding="utf-8") as f:
            return json.load(f)

    def write_identity(self, identity):
        atomic.write_json(self.identity_file, identity)

    def write_results(self, results):
        atomic.write_json(self.results_file, results)

    def remove_partial_files(self):
        """Deletes the temporary files of writes a kill interrupted; their count.

        They never replaced a real file, so they hold nothing to recover.
        """
        removed = 0
        for directory in (self.path, self.checkpoints, self.backup):
            if os.path.isdir(directory):
                for name in os.listdir(directory):
                    if atomic.is_temporary(name):
                        os.remove(os.path.join(directory, name))
                        removed += 1
        return removed

    def move_aside(self, path, reason):
        """Moves an unreadable file to `corrupt/` (never deletes it); its new path."""
        os.makedirs(self.corrupt, exist_ok=True)
        name = os.path.relpath(path, self.path).replace(os.sep, "-")
        target = os.path.join(self.corrupt, name)
        copy = 1
        while os.path.exists(target):
            copy += 1
            target = os.path.join(self.corrupt, f"{name}.{copy}")
        os.replace(path, target)
        print(f"{path} is unreadable ({reason}); moved it to {target}.", flush=True)
        return target

    def archive(self):
        """Renames the directory to `<path>.replaced-<time>`; the new name."""
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = f"{os.path.normpath(self.path)}.replaced-{stamp}"
        os.rename(self.path, target)
        return target


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """What `run_session.run_once` needs of a run: its identity and directory."""

    identity: dict
    run: RunDirectory


def plan_head_run(config, recipe, **settings):
    """The `RunPlan` of a task that trains a head on a registered backbone.

    Segmentation and detection runs are named alike: `config` has
    `backbone`, `dataset`, `epochs`, `batch_size`, `image_size`,
    `backbone_weights` and the `RunOptions`; `recipe` names the head, and
    `settings` (the task's own) join the identity. The classification
    settings such a run does not take are recorded at their defaults.
    """
    identity = run_identity(
        model=config.backbone, dataset=config.dataset, recipe=recipe, epochs=config.epochs,
        batch_size=config.batch_size, image_size=config.image_size, weights=config.backbone_weights,
        seed=config.seed, steps_per_epoch=config.steps_per_epoch, backend=keras.backend.backend(),
        mixed_precision=None, eval_split=None, holdout_fraction=None, skip_corrupt=False,
    )
    identity.update(settings)
    return RunPlan(identity, RunDirectory(config.model_dir or default_model_dir(identity)))
