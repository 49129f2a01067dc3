"""The training loop behind `examples/train.py` and `examples/finetune.py`.

Its run-directory steps (`directory_state`, `lock_run`,
`report_finished_run`) and `recipe_optimizer` also serve the segmentation
and face-recognition trainers.

A run is identified by what it computes (`run_dir.run_identity`), so the
same command finds its directory again: it resumes an interrupted run and
leaves a finished one alone. Every setting is checked before any file is
written or any step is trained.
"""

import dataclasses
import os
import shutil

import keras

from keras_mlp import validation
from keras_mlp.data import pipeline, sources
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.metadata import ModelMetadata, is_model_file, model_file, read_metadata, save_model
from keras_mlp.models.registry import create_model
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training.evaluation import accuracy_metrics, evaluate_split
from keras_mlp.training.lock import RunLock
from keras_mlp.training.recipes import get_recipe
from keras_mlp.training.resume import restore
from keras_mlp.training.run_dir import RunDirectory, default_model_dir, run_identity
from keras_mlp.training.schedules import WarmupDecay
from keras_mlp.training.strategy import get_strategy
from keras_mlp.weights import hub, hub_files
from keras_mlp.weights.loading import WeightsSource

MIXED_PRECISION = (None, "mixed_bfloat16", "mixed_float16")
DEFAULT_MODEL = "mixer_t4"


@dataclasses.dataclass
class TrainConfig:
    """Everything a run depends on; `None` fields come from the recipe.

    `model` defaults to the model of `weights` when those are a keras_mlp
    `.keras` file (or run directory), else to `DEFAULT_MODEL`; `image_size`
    to the input size of `weights`, else the recipe's.
    """

    model: str | None = None
    dataset: str = "digits"
    recipe: str = "default"
    epochs: int | None = None
    batch_size: int | None = None
    image_size: int | None = None
    weights: str | None = None
    strategy: str = "auto"
    mixed_precision: str | None = None
    model_dir: str | None = None
    resume: bool = True
    restart: bool = False
    data_dir: str | None = None
    download: bool = False
    eval_split: str | None = None
    holdout_fraction: float | None = None
    skip_corrupt: bool = False
    seed: int = 0
    deterministic: bool = False
    steps_per_epoch: int | None = None
    verbose: int | str = "auto"


def normalization(dataset, weights_preprocessing=None):
    """The input pipeline: the weights' own, else defaults.

    Images from scratch are mapped to [-1, 1], as in the Mixer and ViT code.
    """
    if weights_preprocessing is not None:
        return weights_preprocessing
    if dataset == "digits":  # 8x8 scans: upscale whole, no crop
        return INCEPTION.replace(crop_pct=1.0, interpolation="bilinear")
    return INCEPTION


@dataclasses.dataclass(frozen=True)
class _Plan:
    """A `TrainConfig` resolved and checked, before anything is done."""

    recipe: object
    model: str
    weights: str | None
    weights_preprocessing: object
    epochs: int
    batch_size: int
    image_size: int
    identity: dict
    run: RunDirectory


def plan(config):
    """Resolves and checks `config`; raises naming the flag that is wrong.

    Reads nothing but the weights' metadata and writes nothing.
    """
    recipe = get_recipe(config.recipe)
    validation.one_of("mixed_precision", config.mixed_precision, MIXED_PRECISION)
    if config.strategy == "multi_worker" and config.model_dir is None:
        raise ValueError(
            "strategy='multi_worker' needs a `model_dir` that every worker is "
            "given (--model_dir): each would otherwise pick its own."
        )
    epochs = _flag("epochs", config.epochs, recipe.epochs)
    batch_size = _flag("batch_size", config.batch_size, recipe.batch_size)
    if config.steps_per_epoch is not None:
        validation.positive_int("steps_per_epoch", config.steps_per_epoch)
    model, weights, weights_preprocessing = _initial_weights(config)
    default_size = weights_preprocessing.input_size if weights_preprocessing else recipe.image_size
    image_size = _flag("image_size", config.image_size, default_size)
    identity = run_identity(
        model=model, dataset=sources.dataset_id(config.dataset), recipe=config.recipe, epochs=epochs,
        batch_size=batch_size, image_size=image_size, weights=weights,
        mixed_precision=config.mixed_precision, seed=config.seed,
        steps_per_epoch=config.steps_per_epoch, eval_split=config.eval_split,
        holdout_fraction=config.holdout_fraction, skip_corrupt=config.skip_corrupt,
        backend=keras.backend.backend(),
    )
    model_dir = config.model_dir or default_model_dir(identity)
    if config.strategy == "multi_worker":
        from keras_mlp.training import multi_worker

        if not multi_worker.is_chief():
            # Every worker keeps its own backup to resume from; only the
            # chief's files are the run's.
            model_dir = os.path.join(model_dir, "workers", multi_worker.task_name())
    return _Plan(
        recipe, model, weights, weights_preprocessing, epochs, batch_size, image_size,
        identity, RunDirectory(model_dir),
    )


def _flag(name, value, default):
    """`value`, or `default` when it is `None` (never when it is 0)."""
    return validation.positive_int(name, default if value is None else value)


def _initial_weights(config):
    """`(model name, weights, their Preprocessing or None)`.

    A keras_mlp `.keras` file (or a run directory) and a Hub model name their
    model and input pipeline in their metadata; a pretrained tag in its record.
    """
    model = config.model or DEFAULT_MODEL
    weights = config.weights
    if weights is None:
        return model, None, None
    if is_model_file(weights):
        weights = model_file(weights)
        metadata = read_metadata(weights)
        if metadata is None:
            return model, weights, None
    elif hub_files.is_reference(weights):
        metadata = hub.load_metadata(weights)
    else:
        record = WeightsSource(weights, model).record
        return model, weights, record.preprocessing if record else None
    if config.model not in (None, metadata.model):
        raise ValueError(
            f"--weights={config.weights} holds a {metadata.model} model, "
            f"not {config.model}. Drop --model, or pass weights of {config.model}."
        )
    return metadata.model, weights, metadata.preprocessing


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


def _compiled_model(run_plan, config, arguments, steps_per_epoch):
    """The model to train, compiled, its optimizer built; under the strategy's scope."""
    try:
        model = create_model(run_plan.model, weights=run_plan.weights, **arguments)
    except ValueError as e:
        if "input_shape" not in str(e):
            raise
        raise ValueError(f"--image_size={run_plan.image_size} does not fit {run_plan.model}: {e}") from e
    optimizer = recipe_optimizer(
        run_plan.recipe, run_plan.batch_size, steps_per_epoch * run_plan.epochs, steps_per_epoch
    )
    if config.mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    metrics = accuracy_metrics(arguments["classes"], top1_name="accuracy")
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=run_plan.recipe.label_smoothing
        ),
        metrics=metrics,
    )
    # Optimizer variables must be created under the strategy; restoring a
    # state assigns them.
    model.optimizer.build(model.trainable_variables)
    return model


def lock_run(run_plan, config):
    """Locks the run directory for this process.

    With `--restart`, an earlier run there is renamed first (under its lock,
    so never while it trains).
    """
    run = run_plan.run
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


def recipe_optimizer(recipe, batch_size, total_steps, steps_per_epoch):
    """The recipe's optimizer with its warm-up and decay schedule."""
    warmup = recipe.warmup_steps or int(recipe.warmup_epochs * steps_per_epoch)
    warmup = min(warmup, total_steps // 2)
    schedule = WarmupDecay(
        recipe.scaled_learning_rate(batch_size), total_steps, warmup, recipe.decay
    )
    common = dict(learning_rate=schedule, global_clipnorm=recipe.global_clipnorm)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(beta_1=0.9, beta_2=0.999, weight_decay=recipe.weight_decay or None, **common)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(weight_decay=recipe.weight_decay, **common)
    return keras.optimizers.SGD(momentum=0.9, weight_decay=recipe.weight_decay or None, **common)


def train(config, callbacks=()):
    """Trains `config.model` and evaluates it; returns `(model, results)`.

    `callbacks` run after the standard ones (log, checkpoint, backup), so
    they see every epoch the run has already saved. `results` holds the final
    evaluation metrics and the paths written. A finished run in the
    directory is returned as it is, without training or writing anything.
    """
    run_plan = plan(config)
    run = run_plan.run
    if not config.restart:
        results = directory_state(run_plan, config)
        if results is not None:
            return report_finished_run(run, results)
    # MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    scope, replicas = get_strategy(config.strategy)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(config.mixed_precision)

    data = dict(data_dir=config.data_dir, skip_corrupt=config.skip_corrupt,
                download=config.download, holdout_fraction=config.holdout_fraction,
                seed=config.seed)
    train_split = sources.load_dataset(config.dataset, "train", shuffle_files=True, **data)
    eval_split_name = config.eval_split or sources.eval_split_name(config.dataset, config.data_dir)
    eval_split = sources.load_dataset(config.dataset, eval_split_name, **data)
    num_examples = train_split.info.num_examples
    if run_plan.batch_size > num_examples:
        raise ValueError(
            f"--batch_size={run_plan.batch_size} exceeds the {num_examples} "
            f"training examples of {config.dataset}: no full batch, no step. "
            f"Pass --batch_size={num_examples} or less."
        )
    num_classes = train_split.info.num_classes
    prep = normalization(config.dataset, run_plan.weights_preprocessing).replace(
        input_size=run_plan.image_size
    )
    arguments = dict(
        input_shape=(run_plan.image_size, run_plan.image_size, 3), classes=num_classes,
        classifier_activation=None, drop_path_rate=run_plan.recipe.drop_path_rate,
    )
    metadata = ModelMetadata(
        run_plan.model, arguments, prep, train_split.info.class_names,
        extra=dict(
            dataset=run_plan.identity["dataset"], eval_split=eval_split_name,
            data_dir=config.data_dir, holdout_fraction=config.holdout_fraction,
            seed=config.seed, recipe=config.recipe, epochs=run_plan.epochs,
            batch_size=run_plan.batch_size, weights=run_plan.identity["weights"],
        ),
    )
    epoch_seed = pipeline.EpochSeed()
    common = dict(
        image_size=run_plan.image_size,
        batch_size=run_plan.batch_size,
        mean=prep.mean,
        std=prep.std,
        num_classes=num_classes,
        interpolation=prep.interpolation,
        seed=config.seed,
    )
    train_ds = pipeline.make_dataset(
        train_split, True, augmentation=run_plan.recipe.augmentation, epoch_seed=epoch_seed, **common
    )
    eval_ds = pipeline.make_dataset(eval_split, False, crop_pct=prep.crop_pct, **common)
    steps_per_epoch = config.steps_per_epoch or num_examples // run_plan.batch_size

    with scope:
        model = _compiled_model(run_plan, config, arguments, steps_per_epoch)
    if getattr(model, "token_mixing_grid", None):
        recorded = {**metadata.arguments, "token_mixing_grid": list(model.token_mixing_grid)}
        metadata = dataclasses.replace(metadata, arguments=recorded)
    lock = lock_run(run_plan, config)
    try:
        # Another run may have finished here while this one prepared.
        results = None if config.restart else directory_state(run_plan, config)
        if results is not None:
            return report_finished_run(run, results)
        run.write_identity(run_plan.identity)
        initial_epoch, source = restore(model, run)
        action = f"Resuming after epoch {initial_epoch} from {source}" if source else "Training"
        print(
            f"{action}: {run_plan.model} on {config.dataset} ({num_examples} images, "
            f"{num_classes} classes) with recipe {config.recipe!r}: {run_plan.epochs} epochs, "
            f"global batch {run_plan.batch_size} on {replicas} replica(s). Run directory: {run.path}"
        )
        model.fit(
            train_ds.repeat() if config.steps_per_epoch else train_ds,
            validation_data=eval_ds,
            epochs=run_plan.epochs,
            initial_epoch=initial_epoch,
            steps_per_epoch=config.steps_per_epoch,
            callbacks=[
                *callbacks_lib.standard_callbacks(run, metadata, initial_epoch, extra=[epoch_seed]),
                *callbacks,
            ],
            verbose=config.verbose,
        )
        metrics = evaluate_split(
            model, eval_split, prep, run_plan.batch_size,
            name=f"{config.dataset}/{eval_split_name}", logits=True,
        )
        final = dataclasses.replace(metadata, extra={**metadata.extra, "results": metrics})
        save_model(model, run.final, final)
        results = {**metrics, "model_dir": run.path, "final_model": run.final}
        # The last write: from here on the run counts as finished.
        run.write_results(results)
        # The checkpoints hold the same states; the backup only served resumption.
        shutil.rmtree(run.backup, ignore_errors=True)
    finally:
        lock.release()
    return model, results
