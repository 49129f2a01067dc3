"""Training a face embedder with a margin head, in a classification run's clothes.

The run directory, its lock, resumption, per-epoch checkpoints, backups,
logs and `final.keras` are those of `keras_mlp.classification.trainer`: only the
model (a `FaceEmbedder` under an `ArcFace` / `CosFace` head), the data
(identities, verification pairs) and the final evaluation (10-fold
verification accuracy, TAR@FAR) differ. `final.keras` is the embedder alone,
with the verification threshold in its metadata: the head only serves
training.
"""

import dataclasses
import os

import keras

from keras_mlp import validation
from keras_mlp.data import sources
from keras_mlp.data.preprocessing import INCEPTION
from keras_mlp.face import identities as identities_lib
from keras_mlp.face.embedder import FaceEmbedder
from keras_mlp.face.verification import (
    check_pairs,
    evaluate_pairs,
    evaluate_scores,
    pair_scores,
    plot_roc,
    raw_pixel_scores,
)
from keras_mlp.layers import ArcFace, CosFace
from keras_mlp.model_io.metadata import ModelMetadata
from keras_mlp.training import callbacks as callbacks_lib
from keras_mlp.training.recipes import Recipe, RecipeOverrides, recipe_optimizer
from keras_mlp.training.run_dir import RunDirectory, default_model_dir
from keras_mlp.training.run_session import PreparedRun, RunOptions, run_once
from keras_mlp.validation import InputSizeError

HEADS = {"arcface": ArcFace, "cosface": CosFace}
# What each embedded protocol trains with unless the flags say otherwise; an
# identity folder takes InsightFace's recipe and ArcFace at the paper's s, m.
# On the glyphs CosFace at s=16 learned faster than at the paper's s=64 (0.69
# against 0.57 verification accuracy after one epoch, measured before
# aa48ebb): with 1,200 classes and a few epochs, a large scale saturates the
# softmax early.
EMBEDDED_DEFAULTS = {
    "glyphs": dict(recipe="glyphs_face", head="cosface", scale=16.0, margin=0.2),
    "digits": dict(recipe="digits_face", head="arcface"),
}
FOLDER_DEFAULTS = dict(recipe="insightface", head="arcface")
FAR = 1e-3
RAW_PIXELS = "raw pixels"
TASK = "face_embedding"

# Both embedded protocols train Mixer-T/4 at 32x32 with one AdamW setting.
_GLYPHS_FACE = Recipe(
    description="The embedded glyphs protocol: 1,200 printed characters at 32x32, minutes on 2 cores.",
    optimizer="adamw",
    learning_rate=2e-3,
    base_batch_size=64,
    weight_decay=0.05,
    warmup_epochs=1,
    batch_size=64,
    epochs=8,
    image_size=32,
)

FACE_RECIPES = {
    "glyphs_face": _GLYPHS_FACE,
    "digits_face": dataclasses.replace(
        _GLYPHS_FACE,
        description="The embedded open-set protocol: Mixer-T/4 at 32x32 on digits 0-6, a few minutes on 2 cores.",
        # Verification on the unseen digits peaks within a few epochs; after
        # that the embedding fits the seven training digits ever more closely.
        epochs=6,
    ),
    "insightface": Recipe(
        description=(
            "InsightFace arcface_torch (configs/ms1mv2_r50.py): SGD momentum 0.9, lr 0.1 at "
            "batch 1024 (128 on each of 8 GPUs), weight decay 5e-4, 20 epochs, 112x112; "
            "its polynomial decay is approximated by a linear one."
        ),
        optimizer="sgd",
        learning_rate=0.1,
        base_batch_size=1024,
        weight_decay=5e-4,
        decay="linear",
        batch_size=1024,
        epochs=20,
        image_size=112,
    ),
}


@dataclasses.dataclass
class FaceTrainConfig(RecipeOverrides, RunOptions):
    """Everything a face run depends on; `None` fields come from the recipe.

    `dataset` is an embedded protocol, `"glyphs"` or `"digits"` (which bring
    their own verification pairs), or an identity folder, verified on
    `verification`: a `.bin` file or an LFW-style `pairs.txt` (its images
    under `verification_images`, default its folder). `recipe`, `head` and
    the head's `scale` and `margin` default to the dataset's
    (`EMBEDDED_DEFAULTS`, `FOLDER_DEFAULTS`).
    """

    model: str = "mixer_t4"
    dataset: str = "glyphs"
    verification: str | None = None
    verification_images: str | None = None
    recipe: str | None = None
    head: str | None = None
    scale: float | None = None
    margin: float | None = None
    embedding_dim: int = 512


@dataclasses.dataclass(frozen=True)
class _Plan:
    recipe_name: str
    head: str
    recipe: Recipe
    epochs: int
    batch_size: int
    image_size: int
    head_arguments: dict
    identity: dict
    run: RunDirectory


def plan(config):
    """Resolves and checks `config` (not the data); raises naming the flag."""
    defaults = EMBEDDED_DEFAULTS.get(config.dataset, FOLDER_DEFAULTS)
    recipe_name = config.recipe or defaults["recipe"]
    head = config.head or defaults["head"]
    validation.one_of("recipe", recipe_name, sorted(FACE_RECIPES))
    validation.one_of("head", head, sorted(HEADS))
    recipe = FACE_RECIPES[recipe_name]
    epochs = validation.positive_int("epochs", config.epochs or recipe.epochs)
    batch_size = validation.positive_int("batch_size", config.batch_size or recipe.batch_size)
    image_size = validation.positive_int("image_size", config.image_size or recipe.image_size)
    validation.positive_int("embedding_dim", config.embedding_dim)
    if config.steps_per_epoch is not None:
        validation.positive_int("steps_per_epoch", config.steps_per_epoch)
    embedded = config.dataset in identities_lib.EMBEDDED_PROTOCOLS
    if embedded and config.verification:
        raise ValueError(
            f"--dataset={config.dataset} verifies on its own unseen identities: drop --verification."
        )
    if not embedded and not config.verification:
        raise ValueError(
            f"--dataset={config.dataset} needs --verification: a .bin file or a pairs.txt of "
            "people not in the training folders."
        )
    head_arguments = {}
    for name in ("scale", "margin"):
        # The protocol's scale and margin are for its own head: another head takes the paper's.
        value = getattr(config, name)
        if value is None and head == defaults["head"]:
            value = defaults.get(name)
        if value is not None:
            head_arguments[name] = value
    HEADS[head](2, **head_arguments)  # checks scale and margin now
    identity = dict(
        model=config.model, dataset=config.dataset if embedded else sources.dataset_id(config.dataset), recipe=head,
        training_recipe=recipe_name, head_arguments=head_arguments, embedding_dim=config.embedding_dim,
        epochs=epochs, batch_size=batch_size, image_size=image_size, seed=config.seed,
        steps_per_epoch=config.steps_per_epoch,
        verification=os.path.abspath(config.verification) if config.verification else None,
        backend=keras.backend.backend(),
    )
    model_dir = config.model_dir or default_model_dir(identity)
    return _Plan(
        recipe_name, head, recipe, epochs, batch_size, image_size, head_arguments, identity, RunDirectory(model_dir)
    )


def load_face_data(config, image_size):
    """`(Identities, VerificationSet)`, every file checked; nothing written."""
    if config.dataset in identities_lib.EMBEDDED_PROTOCOLS:
        return identities_lib.embedded_protocol(config.dataset, image_size, config.seed)
    train = identities_lib.identity_folder(config.dataset, image_size)
    verification = identities_lib.verification_set(config.verification, image_size, config.verification_images)
    check_pairs(verification.issame, config.verification)
    return train, verification


def preprocessing(image_size):
    """InsightFace's input: RGB mapped to [-1, 1] ((x - 127.5) / 127.5), no crop."""
    return INCEPTION.replace(crop_pct=1.0, interpolation="bilinear", input_size=image_size)


def embed(embedder, images, prep, batch_size=256):
    """Embeddings of `uint8` images `(n, size, size, 3)`."""
    return embedder.predict(prep.normalize(images), batch_size=batch_size, verbose=0)


def _training_dataset(train, prep, batch_size, steps_per_epoch, epochs, initial_epoch, seed, flip):
    """`steps_per_epoch` batches of each epoch from `initial_epoch` to `epochs - 1`.

    An epoch's images (`train.epoch_images`) and order are functions of
    `(seed, epoch)` alone, so a run resumed at epoch `e` trains on the
    batches an uninterrupted one would; epoch `e + 1` is rendered while
    epoch `e` trains.
    """
    import tensorflow as tf

    labels = tf.constant(train.labels)
    epoch_numbers = tf.data.Dataset.range(initial_epoch, epochs)
    if train.paths is None:
        def images_of(epoch):
            images = tf.numpy_function(train.epoch_images, [epoch], tf.uint8, stateful=False)
            images.set_shape((len(train), prep.input_size, prep.input_size, 3))
            return epoch, images

        def image_at(images, index):
            return tf.gather(images, index)

        epoch_data = epoch_numbers.map(images_of).prefetch(1)
    else:
        paths = tf.constant(train.paths)

        def image_at(paths, index):
            image = tf.io.decode_image(tf.io.read_file(tf.gather(paths, index)), channels=3, expand_animations=False)
            image.set_shape((prep.input_size, prep.input_size, 3))
            return image

        epoch_data = epoch_numbers.map(lambda epoch: (epoch, paths))

    def prepare(epoch, images, index):
        image = prep.normalize(image_at(images, index))
        if flip:
            image = tf.image.stateless_random_flip_left_right(
                image, tf.stack([tf.constant(seed, "int64"), epoch * len(train) + index])
            )
        label = tf.gather(labels, index)
        return (image, label), label

    def epoch_batches(epoch, images):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(len(train), dtype="int64"), tf.stack([tf.constant(seed, "int64"), epoch])
        )
        examples = tf.data.Dataset.from_tensor_slices(order).map(
            lambda index: prepare(epoch, images, index), num_parallel_calls=tf.data.AUTOTUNE
        )
        # A shorter --steps_per_epoch takes the epoch's first batches, a longer one goes round it again.
        return examples.batch(batch_size, drop_remainder=True).repeat().take(steps_per_epoch)

    return epoch_data.flat_map(epoch_batches).prefetch(2)


class VerificationCallback(keras.callbacks.Callback):
    """Adds the verification accuracy and TAR@FAR of each epoch to its logs,
    so `history.csv` and the learning curves show how the embedding improves."""

    def __init__(self, embedder, verification, prep):
        super().__init__()
        self.embedder = embedder
        self.verification = verification
        self.prep = prep

    def on_epoch_end(self, epoch, logs=None):
        result = evaluate_pairs(embed(self.embedder, self.verification.images, self.prep), self.verification.issame, FAR)
        if logs is not None:
            logs["val_verification_accuracy"] = result.accuracy
            logs["val_tar_at_far"] = result.tar


def _models(config, run_plan, num_identities):
    side = run_plan.image_size
    try:
        embedder = FaceEmbedder(config.model, config.embedding_dim, input_shape=(side, side, 3))
    except InputSizeError as e:
        raise InputSizeError(f"--image_size={side} does not fit --model={config.model}: {e}") from e
    labels = keras.Input((), dtype="int32", name="labels")
    head = HEADS[run_plan.head](num_identities, name="margin_head", **run_plan.head_arguments)
    logits = head([embedder.output, labels])
    trainer = keras.Model([embedder.input, labels], logits, name=f"{embedder.name}_training")
    return embedder, trainer


def train_face(config, callbacks=()):
    """Trains a face embedder and verifies it; returns `(embedder, results)`.

    Every setting and every data file is checked before anything is
    written. A finished run in the directory is returned as it is.
    """
    run_plan = plan(config)
    return run_once(run_plan, config, lambda: _prepare(run_plan, config, callbacks))


def _prepare(run_plan, config, callbacks):
    keras.utils.set_random_seed(config.seed)
    train, verification = load_face_data(config, run_plan.image_size)
    if run_plan.batch_size > len(train):
        raise ValueError(
            f"--batch_size={run_plan.batch_size} exceeds the {len(train)} training images. "
            f"Pass --batch_size={len(train)} or less."
        )
    prep = preprocessing(run_plan.image_size)
    embedder, trainer = _models(config, run_plan, train.num_identities)
    steps_per_epoch = config.steps_per_epoch or len(train) // run_plan.batch_size
    trainer.compile(
        optimizer=recipe_optimizer(run_plan.recipe, run_plan.batch_size, steps_per_epoch * run_plan.epochs, steps_per_epoch),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    trainer.optimizer.build(trainer.trainable_variables)
    # A mirrored face is the same person; a mirrored character is another one.
    flip = config.dataset not in identities_lib.EMBEDDED_PROTOCOLS
    extra = dict(
        task=TASK, dataset=run_plan.identity["dataset"], verification=verification.name,
        head=run_plan.head, embedding_dim=config.embedding_dim, recipe=run_plan.recipe_name,
        epochs=run_plan.epochs, batch_size=run_plan.batch_size, seed=config.seed,
    )
    metadata = ModelMetadata(
        config.model, {"include_top": False, "input_shape": (run_plan.image_size,) * 2 + (3,)}, prep, extra=extra
    )

    def fit(initial_epoch):
        dataset = _training_dataset(
            train, prep, run_plan.batch_size, steps_per_epoch, run_plan.epochs, initial_epoch, config.seed, flip
        )
        trainer.fit(
            dataset,
            epochs=run_plan.epochs,
            initial_epoch=initial_epoch,
            # Set, so that fit keeps one iterator over the epochs' batches.
            steps_per_epoch=steps_per_epoch,
            callbacks=[
                *callbacks_lib.standard_callbacks(
                    run_plan.run, metadata, initial_epoch,
                    extra=[VerificationCallback(embedder, verification, prep)],
                ),
                *callbacks,
            ],
            # The dataset shuffles itself; fit's own shuffle only warns on one.
            shuffle=False,
            verbose=config.verbose,
        )
        scores = pair_scores(embed(embedder, verification.images, prep))
        result = evaluate_scores(scores, verification.issame, FAR)
        print(result.describe(verification.name, FAR))
        # What learning added: the same pairs scored by their pixels.
        pixel_scores = raw_pixel_scores(verification.images)
        pixels = evaluate_scores(pixel_scores, verification.issame, FAR)
        print(pixels.describe(f"{verification.name}, {RAW_PIXELS}", FAR))
        roc = os.path.join(run_plan.run.path, "roc.png")
        plot_roc(
            {config.model: (scores, verification.issame), RAW_PIXELS: (pixel_scores, verification.issame)}, roc
        )
        metrics = dict(
            verification_accuracy=result.accuracy, verification_accuracy_std=result.accuracy_std,
            threshold=result.threshold, tar_at_far=result.tar, far=result.far, far_target=FAR,
            pairs=result.pairs, verification=verification.name,
            raw_pixels_accuracy=pixels.accuracy, raw_pixels_tar_at_far=pixels.tar, roc=roc,
        )
        return embedder, metadata, metrics

    description = (
        f"{config.model} face embedder ({config.embedding_dim}-d, {run_plan.head}) on "
        f"{config.dataset} ({len(train)} images, {train.num_identities} identities), verified on "
        f"{verification.name} ({len(verification.issame)} pairs): {run_plan.epochs} epochs, "
        f"batch {run_plan.batch_size}"
    )
    return PreparedRun(trainer, description, fit)


def face_metadata_threshold(metadata):
    """The verification threshold a face run stored, or a clear error."""
    results = (metadata.extra or {}).get("results") if metadata else None
    if not metadata or metadata.extra.get("task") != TASK or not results:
        raise ValueError(
            "This model has no face verification threshold: pass a final.keras (or run directory) "
            "of examples/train_face_recognition.py, or a threshold."
        )
    return float(results["threshold"])

