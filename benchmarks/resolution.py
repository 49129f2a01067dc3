"""Grid-bound models at another resolution: resampled token-mixing weights, measured.

On the embedded digits (docs/resolution.md):

(a) zero-shot test accuracy at other input sizes with the 32 px model's
    weights resampled (each interpolation, and Appendix C where the grid is
    K times finer), beside the 32 px model on the same images resized back;
(b) a short fine-tuning run at `--finetune_size` from the resampled
    weights against the same run with freshly initialised token-mixing
    weights (same seed, same steps).

Mixer uses a run of the README's main job (`--mixer_run`, a `final.keras`);
ResMLP and gMLP are tiny configs of the same shape (patch 4, width 128,
4 blocks), trained here at 32 px with the same recipe.

    python examples/train.py --model_dir=runs/digits
    python benchmarks/resolution.py --mixer_run=runs/digits/final.keras
"""

import os
import re
import tempfile
from unittest import mock

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags

import keras_mlp
from keras_mlp.classification.trainer import normalization
from keras_mlp.data import pipeline, sources
from keras_mlp.model_io.metadata import model_file, read_metadata
from keras_mlp.training.recipes import get_recipe
from keras_mlp.training.schedules import WarmupDecay
from keras_mlp.weights import gmlp_checkpoints, mixer_checkpoints, patch_resampling, resmlp_checkpoints

FLAGS = flags.FLAGS
flags.DEFINE_string("mixer_run", None, "final.keras of the README's main job (Mixer-T/4, 32 px).")
flags.DEFINE_multi_integer("sizes", [24, 40, 48, 64], "Zero-shot input sizes.")
flags.DEFINE_integer("finetune_size", 48, "Input size of the fine-tuning runs.")
flags.DEFINE_integer("pretrain_epochs", 30, "Epochs of the tiny ResMLP/gMLP at 32 px.")
flags.DEFINE_integer("finetune_epochs", 3, "Epochs of each fine-tuning run.")
flags.DEFINE_multi_string("families", ["mixer", "resmlp", "gmlp"], "Families to measure.")

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
TRAINED_SIZE = 32
TINY = dict(patch_size=4, hidden_dim=128, num_blocks=4)
FAMILIES = {
    "mixer": (lambda **kw: keras_mlp.MixerT4(**kw), mixer_checkpoints.PATCH_WEIGHTS),
    "resmlp": (lambda **kw: keras_mlp.ResMLP(**TINY, layer_scale_init=0.1, **kw), resmlp_checkpoints.PATCH_WEIGHTS),
    "gmlp": (lambda **kw: keras_mlp.GMLP(**TINY, **kw), gmlp_checkpoints.PATCH_WEIGHTS),
}


def digits(split, size, training=False, seed=0, epoch_seed=None):
    prep = normalization("digits").replace(input_size=size)
    return pipeline.make_dataset(
        sources.load_dataset("digits", split), training, prep, 64, 10,
        augmentation=get_recipe("default").augmentation, seed=seed, epoch_seed=epoch_seed,
    )


def accuracy(model, size, resize_to=None):
    """Test top-1 of `model` on the digits rendered at `size` (resized to `resize_to`)."""
    correct = total = 0
    for x, y in digits("test", size):
        if resize_to:
            x = tf.image.resize(x, (resize_to, resize_to), antialias=True)
        logits = keras.ops.convert_to_numpy(model(x, training=False))
        correct += int(np.sum(logits.argmax(-1) == y.numpy().argmax(-1)))
        total += len(logits)
    return correct / total


def fit(model, size, epochs, seed=0):
    """The default recipe's optimizer and augmentation, `epochs` at `size`."""
    recipe = get_recipe("default")
    keras.utils.set_random_seed(seed)
    epoch_seed = pipeline.EpochSeed()
    data = digits("train", size, training=True, seed=seed, epoch_seed=epoch_seed)
    steps = epochs * int(data.cardinality())
    warmup = min(int(recipe.warmup_epochs * int(data.cardinality())), steps // 2)
    model.compile(
        optimizer=keras.optimizers.AdamW(
            WarmupDecay(recipe.scaled_learning_rate(64), steps, warmup, recipe.decay),
            weight_decay=recipe.weight_decay,
        ),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    model.fit(data, epochs=epochs, verbose=0, callbacks=[epoch_seed])
    return model


def reinitialised_token_mixing(model, build, specs, size, seed):
    """`model` with its per-patch weights replaced by a fresh model's (seeded)."""
    keras.utils.set_random_seed(seed)
    fresh = {v.path: v for v in build(input_shape=(size, size, 3), classes=10, classifier_activation=None).weights}
    patterns = [re.compile(spec.pattern) for spec in specs]
    for variable in model.weights:
        if any(p.fullmatch(variable.path) for p in patterns):
            variable.assign(fresh[variable.path])
    return model


def measure(family, weights_path, finer_path, trained_size):
    """`finer_path`: the same weights in a file that names its grid (Mixer's
    `.keras`), so that a `K` times finer model is built for Appendix C."""
    build, specs = FAMILIES[family]

    def at(size, weights=weights_path):
        return build(input_shape=(size, size, 3), classes=10, classifier_activation=None, weights=weights)

    trained = at(trained_size)
    print(f"\n## {family}: {trained_size} px test accuracy {accuracy(trained, trained_size):.4f}")
    print(f"| size | resized to {trained_size} px | " + " | ".join(INTERPOLATIONS) + " | Appendix C |")
    print("|---|---|" + "---|" * (len(INTERPOLATIONS) + 1))
    for size in FLAGS.sizes:
        row = [f"{accuracy(trained, size, resize_to=trained_size):.4f}"]
        for interpolation in INTERPOLATIONS:
            # Resampling even where Appendix C would apply, to compare the two.
            with mock.patch.object(patch_resampling, "INTERPOLATION", interpolation), \
                    mock.patch.object(patch_resampling, "finer_grid", lambda *a: None):
                row.append(f"{accuracy(at(size), size):.4f}")
        finer = size % trained_size == 0 and size > trained_size
        row.append(f"{accuracy(at(size, finer_path), size):.4f}" if finer else "-")
        print(f"| {size} | " + " | ".join(row) + " |")
        keras.backend.clear_session()

    size = FLAGS.finetune_size
    resampled = fit(at(size), size, FLAGS.finetune_epochs)
    fresh = fit(reinitialised_token_mixing(at(size), build, specs, size, seed=1), size, FLAGS.finetune_epochs)
    print(
        f"\nfine-tuning {FLAGS.finetune_epochs} epochs at {size} px: from resampled "
        f"{accuracy(resampled, size):.4f}, token mixing re-initialised {accuracy(fresh, size):.4f}"
    )


def main(argv):
    del argv
    folder = tempfile.mkdtemp(prefix="resolution-")
    for family in FLAGS.families:
        path = os.path.join(folder, f"{family}.weights.h5")
        if family == "mixer":
            if FLAGS.mixer_run is None:
                raise app.UsageError("--mixer_run=<run>/final.keras (python examples/train.py) is needed for mixer.")
            size = read_metadata(model_file(FLAGS.mixer_run)).preprocessing.input_size
            run = keras_mlp.MixerT4(
                weights=FLAGS.mixer_run, input_shape=(size, size, 3), classes=10, classifier_activation=None
            )
            run.save_weights(path)
            measure(family, path, FLAGS.mixer_run, size)
        else:
            keras.utils.set_random_seed(0)
            model = FAMILIES[family][0](input_shape=(TRAINED_SIZE, TRAINED_SIZE, 3), classes=10, classifier_activation=None)
            fit(model, TRAINED_SIZE, FLAGS.pretrain_epochs).save_weights(path)
            measure(family, path, path, TRAINED_SIZE)


if __name__ == "__main__":
    app.run(main)
