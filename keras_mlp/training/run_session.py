"""How every training run starts and ends in its directory.

Classification, segmentation and face-recognition runs share one sequence,
`run_once`: a finished run of the same settings is returned untouched;
otherwise the run is prepared (data, model), the directory locked and
checked again (another process may have finished the run meanwhile), the
settings written, the newest saved state restored, and training continues
from there. The trained model and its metadata are saved before the
results, whose file is the last write: from then on the run is finished.
"""

import dataclasses
import shutil
from collections.abc import Callable

import keras

from keras_mlp.model_io.metadata import save_model
from keras_mlp.training.lock import RunLock
from keras_mlp.training.multi_process import undistributed
from keras_mlp.training.resume import restore


@dataclasses.dataclass(kw_only=True)
class RunOptions:
    """The settings every task's run config ends with (`TrainConfig`,
    `SegmentationConfig`, `FaceTrainConfig`, `DetectionConfig` extend it).

    Attributes:
        model_dir: the run directory; default one named by the run's settings.
        resume: continue an unfinished run found there.
        restart: start over; the old run is kept, renamed.
        seed: the random seed of the data order, augmentation and weights.
        steps_per_epoch: default one pass over the training data.
        verbose: Keras' progress output (`fit`'s `verbose`).
    """

    model_dir: str | None = None
    resume: bool = True
    restart: bool = False
    seed: int = 0
    steps_per_epoch: int | None = None
    verbose: int | str = "auto"


@dataclasses.dataclass(frozen=True)
class PreparedRun:
    """What a trainer prepared, ready to train.

    Attributes:
        state: the compiled model whose weights and optimizer are saved
            every epoch and restored on resumption (its optimizer built).
        description: what is trained, for the line that starts the run.
        fit: `fit(initial_epoch) -> (model, metadata, metrics)`: trains from
            `initial_epoch` and evaluates; `model` (with `metadata`, which
            gets `metrics` as its `extra["results"]`) is the run's
            `final.keras`.
        writer: whether this process writes the run's files; the other
            processes of a multi-process run read them to resume and train
            alongside (`keras_mlp.training.multi_process`).
        devices: how the run is spread (strategy, device and process
            counts), recorded in `run.json` beside the identity; a rerun
            on other devices resumes the same run and says so.
    """

    state: keras.Model
    description: str
    fit: Callable
    writer: bool = True
    devices: dict = dataclasses.field(default_factory=dict)


def run_once(plan, config, prepare):
    """Trains the run of `plan` once; returns `(model, results)`.

    Args:
        plan: has `run` (its `RunDirectory`) and `identity` (its settings).
        config: the run's config, a `RunOptions`.
        prepare: `prepare() -> PreparedRun`; not called for a run that is
            already finished.
    """
    run = plan.run
    if not config.restart:
        results = directory_state(plan, config)
        if results is not None:
            return report_finished_run(run, results)
    prepared = prepare()
    if not prepared.writer:
        return _train_alongside(run, prepared)
    lock = lock_run(plan, config)
    try:
        # Another run may have finished here while this one prepared.
        results = None if config.restart else directory_state(plan, config)
        if results is not None:
            return report_finished_run(run, results)
        report_new_devices(run, prepared.devices)
        run.write_identity({**plan.identity, **prepared.devices})
        initial_epoch, source = restore(prepared.state, run)
        action = f"Resuming after epoch {initial_epoch} from {source}" if source else "Training"
        print(f"{action}: {prepared.description}. Run directory: {run.path}")
        model, metadata, metrics = prepared.fit(initial_epoch)
        final = dataclasses.replace(metadata, extra={**metadata.extra, "results": metrics})
        with undistributed():
            save_model(model, run.final, final)
        results = {**metrics, "model_dir": run.path, "final_model": run.final}
        # The last write: from here on the run counts as finished.
        run.write_results(results)
        # The checkpoints hold the same states; the backup only served resumption.
        shutil.rmtree(run.backup, ignore_errors=True)
    finally:
        lock.release()
    return model, results


def _train_alongside(run, prepared):
    """A non-writing process's part: resume from the writer's files, train, write nothing."""
    initial_epoch, _ = restore(prepared.state, run, read_only=True)
    model, _, metrics = prepared.fit(initial_epoch)
    return model, {**metrics, "model_dir": run.path, "final_model": run.final}


def report_new_devices(run, devices):
    """Says so when `run` was recorded on other devices than `devices` now."""
    recorded = run.recorded_identity() or {}
    before = {k: recorded[k] for k in devices if k in recorded}
    if before and before != devices:
        print(
            f"{run.path} was trained on {before}; it continues on {devices} with the same "
            "global batch, so the remaining steps compute what they would have there."
        )


def directory_state(plan, config):
    """The results of a finished run of these settings in the directory, else `None`.

    Raises when the directory holds a run of other settings (finished or
    not), or an unfinished run and `--noresume` was given.
    """
    run = plan.run
    results = run.results()
    if results is not None:
        run.check_identity(plan.identity)
        return results
    if not run.has_state():
        return None
    if not config.resume:
        raise ValueError(
            f"{run.path} holds an unfinished run and --noresume was given. "
            "Drop --noresume to continue it, pass --restart to start it over "
            "(the old run is kept, renamed), or choose another --model_dir; "
            "nothing was changed."
        )
    run.check_identity(plan.identity)
    return None


def lock_run(plan, config):
    """Locks the run directory for this process.

    With `--restart`, an earlier run there is renamed first (under its lock,
    so never while it trains).
    """
    run = plan.run
    lock = RunLock(run.path).acquire()
    if lock.previous:
        print(f"Took over the lock of {lock.describe_previous()}, which is no longer running.")
    if config.restart and (run.has_state() or run.results() is not None):
        archived = run.archive()
        lock.moved(archived)
        lock.release()
        print(f"--restart: the previous run is kept as {archived}.")
        lock = RunLock(run.path).acquire()
    return lock


def report_finished_run(run, results):
    """Says that `run` is finished and returns `(its trained model, results)`."""
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in results.items() if isinstance(v, float))
    print(
        f"{run.path} holds a finished run ({metrics}); its trained model is "
        f"{run.final}. Nothing was changed. To train it again, pass --restart "
        "(the finished run is kept, renamed) or choose another --model_dir."
    )
    return keras.saving.load_model(run.final), results

