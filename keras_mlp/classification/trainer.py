"""The training loop behind `examples/train.py` and `examples/finetune.py`.

`train` is four named steps: `plan` checks the settings, `load_data`,
`build_model`, then `keras_mlp.training.run_session.run_once` (shared with
the segmentation and face-recognition trainers, as `recipe_optimizer` is)
trains the run in its directory.

A run is identified by what it computes (`run_dir.run_identity`), so the
same command finds its directory again: it resumes an interrupted run and
leaves a finished one alone. Every setting is checked before any file is
written or any step is trained.
"""

import dataclasses
import os

import keras

from keras_mlp import validation
from keras_mlp.classification.evaluation import accuracy_metrics, evaluate_split
from keras_mlp.data import pipeline, sources
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.model_io.resolver import resolve_weights
from keras_mlp.models.registry import create_model
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training import multi_process
from keras_mlp.training.model_parallel import family_layouts
from keras_mlp.training.recipes import RecipeOverrides, get_recipe, recipe_optimizer
from keras_mlp.training.run_dir import RunDirectory, default_model_dir, run_identity
from keras_mlp.training.run_session import PreparedRun, RunOptions, run_once
from keras_mlp.training.strategy import get_strategy
from keras_mlp.validation import InputSizeError

MIXED_PRECISION = (None, "mixed_bfloat16", "mixed_float16")
# `jit_compile` of `model.compile`, by its flag's spellings too. Keras' "auto"
# is XLA on JAX and on TensorFlow GPUs; on a TensorFlow CPU, XLA is opt-in
# (docs/performance.md measures what it gains there).
JIT_COMPILE = {"auto": "auto", "true": True, "false": False, True: True, False: False}
DEFAULT_MODEL = "mixer_t4"


@dataclasses.dataclass
class TrainConfig(RecipeOverrides, RunOptions):
    """Everything a run depends on; `None` fields come from the recipe.

    `model` defaults to the model of `weights` when those are a keras_mlp
    `.keras` file (or run directory), else to `DEFAULT_MODEL`; `image_size`
    to the input size of `weights`, else the recipe's.
    """

    model: str | None = None
    dataset: str = "digits"
    recipe: str = "default"
    weights: str | None = None
    strategy: str = "auto"
    mixed_precision: str | None = None
    data_dir: str | None = None
    download: bool = False
    eval_split: str | None = None
    holdout_fraction: float | None = None
    skip_corrupt: bool = False
    deterministic: bool = False
    coordinator_address: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    coordinator_timeout: int = 300
    model_parallel: int = 1
    jit_compile: str | bool = "auto"

    @property
    def cluster(self):
        """The `multi_process.Cluster` of the `--strategy=multi_process` flags."""
        return multi_process.Cluster(
            self.coordinator_address, self.num_processes, self.process_id, self.coordinator_timeout
        )


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
    """A `TrainConfig` resolved and checked, before anything is done.

    `weights` is the `ResolvedWeights` of `--weights` (its model, input
    pipeline and the constructor arguments its arrays need).
    """

    recipe: object
    model: str
    weights: object
    epochs: int
    batch_size: int
    image_size: int
    identity: dict
    run: RunDirectory

    @property
    def weights_preprocessing(self):
        return self.weights.preprocessing


def plan(config):
    """Resolves and checks `config`; raises naming the flag that is wrong.

    Reads nothing but the weights' metadata and writes nothing.
    """
    recipe = get_recipe(config.recipe)
    validation.one_of("mixed_precision", config.mixed_precision, MIXED_PRECISION)
    validation.one_of("jit_compile", config.jit_compile, JIT_COMPILE)
    if config.strategy in ("multi_worker", "multi_process") and config.model_dir is None:
        raise ValueError(
            f"strategy={config.strategy!r} needs a `model_dir` that every worker is "
            "given (--model_dir): each would otherwise pick its own."
        )
    _check_jax_distribution(config)
    epochs = _flag("epochs", config.epochs, recipe.epochs)
    batch_size = _flag("batch_size", config.batch_size, recipe.batch_size)
    if config.steps_per_epoch is not None:
        validation.positive_int("steps_per_epoch", config.steps_per_epoch)
    weights = resolve_weights(config.weights, config.model, default_model=DEFAULT_MODEL)
    if config.model_parallel > 1:
        family_layouts(weights.model)
    prep = weights.preprocessing
    image_size = _flag("image_size", config.image_size, prep.input_size if prep else recipe.image_size)
    identity = run_identity(
        model=weights.model, dataset=sources.dataset_id(config.dataset), recipe=config.recipe,
        epochs=epochs, batch_size=batch_size, image_size=image_size, weights=weights.weights,
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
        recipe, weights.model, weights, epochs, batch_size, image_size, identity, RunDirectory(model_dir),
    )


def _check_jax_distribution(config):
    """The `--strategy=multi_process` and `--model_parallel` flags, before anything runs."""
    validation.positive_int("model_parallel", config.model_parallel)
    backend = keras.backend.backend()
    if config.strategy == "multi_process":
        if backend != "jax":
            raise ValueError(
                f"--strategy=multi_process needs the jax backend (KERAS_BACKEND=jax); this is "
                f"{backend}. On tensorflow, train across machines with --strategy=multi_worker."
            )
        config.cluster.check()


def _check_batch_split(batch_size, replicas):
    """Raises unless the global batch splits evenly over processes and model copies."""
    processes, _ = multi_process.shard()
    for parts, what in ((processes, "processes"), (replicas, "model copies (devices / --model_parallel)")):
        if batch_size % parts:
            raise ValueError(
                f"--batch_size={batch_size} does not split evenly over the {parts} {what}: "
                f"pass a multiple of {parts}, e.g. --batch_size={max(parts, batch_size // parts * parts)}."
            )


def _flag(name, value, default):
    """`value`, or `default` when it is `None` (never when it is 0)."""
    return validation.positive_int(name, default if value is None else value)


@dataclasses.dataclass(frozen=True)
class _Data:
    """The loaded splits of a run and how its images are fed."""

    train: object
    eval: object
    eval_split: str
    preprocessing: object
    train_ds: object
    eval_ds: object
    epoch_seed: object


def load_data(run_plan, config):
    """The run's splits and `tf.data` pipelines, checked against the batch size.

    In a multi-process run each process reads and batches its own shard.
    """
    loading = dict(data_dir=config.data_dir, skip_corrupt=config.skip_corrupt,
                   download=config.download, holdout_fraction=config.holdout_fraction,
                   seed=config.seed)
    shard = multi_process.shard()
    # Every process must shuffle a tfds split alike to take disjoint shards
    # of it, and tfds does not seed its file order: the buffer shuffles.
    train_split = sources.load_dataset(config.dataset, "train", shuffle_files=shard[0] == 1, **loading)
    eval_split_name = config.eval_split or sources.eval_split_name(config.dataset, config.data_dir)
    eval_split = sources.load_dataset(config.dataset, eval_split_name, **loading)
    num_examples = train_split.info.num_examples
    if run_plan.batch_size > num_examples:
        raise ValueError(
            f"--batch_size={run_plan.batch_size} exceeds the {num_examples} "
            f"training examples of {config.dataset}: no full batch, no step. "
            f"Pass --batch_size={num_examples} or less."
        )
    prep = normalization(config.dataset, run_plan.weights_preprocessing).replace(
        input_size=run_plan.image_size
    )
    epoch_seed = pipeline.EpochSeed()
    common = dict(
        preprocessing=prep, batch_size=run_plan.batch_size // shard[0],
        num_classes=train_split.info.num_classes, seed=config.seed, shard=shard,
    )
    train_ds = pipeline.make_dataset(
        train_split, True, augmentation=run_plan.recipe.augmentation, epoch_seed=epoch_seed, **common
    )
    eval_ds = pipeline.make_dataset(eval_split, False, **common)
    return _Data(train_split, eval_split, eval_split_name, prep, train_ds, eval_ds, epoch_seed)


def build_model(run_plan, config, data, steps_per_epoch):
    """`(compiled model, its ModelMetadata)`; the model under the strategy's
    scope, its optimizer built (restoring a state assigns it)."""
    arguments = dict(
        run_plan.weights.extras,
        input_shape=(run_plan.image_size, run_plan.image_size, 3),
        classes=data.train.info.num_classes, classifier_activation=None,
        drop_path_rate=run_plan.recipe.drop_path_rate,
    )
    try:
        model = create_model(run_plan.model, weights=run_plan.weights.weights, **arguments)
    except InputSizeError as e:
        raise InputSizeError(f"--image_size={run_plan.image_size} does not fit {run_plan.model}: {e}") from e
    optimizer = recipe_optimizer(
        run_plan.recipe, run_plan.batch_size, steps_per_epoch * run_plan.epochs, steps_per_epoch
    )
    if config.mixed_precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=run_plan.recipe.label_smoothing
        ),
        metrics=accuracy_metrics(arguments["classes"], top1_name="accuracy"),
        jit_compile=JIT_COMPILE[config.jit_compile],
    )
    model.optimizer.build(model.trainable_variables)
    # What the weights decided beyond these arguments (a Mixer's GELU and
    # token grid) is recorded too, so the metadata rebuilds this model.
    recorded = {**arguments, **getattr(model, "weights_arguments", {})}
    metadata = ModelMetadata(
        run_plan.model, recorded, data.preprocessing, data.train.info.class_names,
        extra=dict(
            dataset=run_plan.identity["dataset"], eval_split=data.eval_split,
            data_dir=config.data_dir, holdout_fraction=config.holdout_fraction,
            seed=config.seed, recipe=config.recipe, epochs=run_plan.epochs,
            batch_size=run_plan.batch_size, weights=run_plan.identity["weights"],
        ),
    )
    return model, metadata


def _set_up_process(config, model_name):
    """The strategy's scope and replica count, seeds, determinism, precision.

    MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    """
    scope, replicas = get_strategy(config.strategy, config.cluster, config.model_parallel, model_name)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(config.mixed_precision)
    return scope, replicas


def train(config, callbacks=()):
    """Trains `config.model` and evaluates it; returns `(model, results)`.

    `callbacks` run after the standard ones (log, checkpoint, backup), so
    they see every epoch the run has already saved. `results` holds the final
    evaluation metrics and the paths written. A finished run in the
    directory is returned as it is, without training or writing anything.
    """
    run_plan = plan(config)

    def prepare():
        scope, replicas = _set_up_process(config, run_plan.model)
        _check_batch_split(run_plan.batch_size, replicas)
        processes, _ = multi_process.shard()
        devices = dict(
            strategy=config.strategy, devices=replicas * config.model_parallel,
            processes=processes, model_parallel=config.model_parallel,
        )
        data = load_data(run_plan, config)
        num_examples = data.train.info.num_examples
        steps_per_epoch = config.steps_per_epoch or num_examples // run_plan.batch_size
        with scope:
            model, metadata = build_model(run_plan, config, data, steps_per_epoch)
        metadata = dataclasses.replace(metadata, extra={**metadata.extra, **devices})

        writer = multi_process.is_writer()
        shard = multi_process.shard()

        def fit(initial_epoch):
            multi_process.agree_on(initial_epoch, "the epoch to resume from")
            standard = callbacks_lib.standard_callbacks(
                run_plan.run, metadata, initial_epoch, extra=[data.epoch_seed], writer=writer
            )
            model.fit(
                data.train_ds.repeat() if config.steps_per_epoch else data.train_ds,
                # The processes' last evaluation batches differ in size, which
                # fit cannot assemble; a multi-process run is evaluated at the end.
                validation_data=data.eval_ds if shard[0] == 1 else None,
                epochs=run_plan.epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=config.steps_per_epoch,
                callbacks=[*standard, *callbacks],
                # The dataset shuffles itself; fit's own shuffle only warns on one.
                shuffle=False,
                verbose=config.verbose,
            )
            metrics = evaluate_split(
                model, data.eval, data.preprocessing, run_plan.batch_size // shard[0],
                name=f"{config.dataset}/{data.eval_split}", logits=True, shard=shard,
            )
            return model, metadata, metrics

        description = (
            f"{run_plan.model} on {config.dataset} ({num_examples} images, "
            f"{data.train.info.num_classes} classes) with recipe {config.recipe!r}: "
            f"{run_plan.epochs} epochs, global batch {run_plan.batch_size} on {replicas} replica(s)"
        )
        return PreparedRun(model, description, fit, writer, devices)

    return run_once(run_plan, config, prepare)
