"""Inference throughput of a RepMLP model's training form vs its deploy form.

Builds the model, gives every BatchNorm non-trivial statistics (so the
fusion is really exercised), reparameterizes it, checks that both forms
predict the same top-1 classes, then times a jitted forward pass of each,
interleaved, and prints images/s and the speed-up.

    python benchmarks/repmlp_deploy.py --model=repmlpnet_b224 --batch_size=8
"""

import functools
import time

import keras
import numpy as np
from absl import app, flags

import keras_mlp
from keras_mlp.models.reparameterize import randomize_batch_norms

import timing  # benchmarks/timing.py

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "repmlpnet_b224", "Registered model name.")
flags.DEFINE_integer("batch_size", 8, "Images per forward pass.")
flags.DEFINE_integer("rounds", 5, "Timed rounds per form (interleaved).")
flags.DEFINE_integer("steps", 3, "Forward passes per round.")


def matmul_rate(size=2048, steps=5):
    """Multiply-accumulates per second of a large square matmul on this backend."""
    rng = np.random.default_rng(2)
    a, b = (keras.ops.convert_to_tensor(rng.normal(size=(size, size)).astype("float32")) for _ in "ab")
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    start = time.perf_counter()
    for _ in range(steps):
        keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    return size**3 * steps / (time.perf_counter() - start)


def main(_):
    train_model = keras_mlp.create_model(FLAGS.model, classifier_activation=None)
    randomize_batch_norms(train_model)
    deploy_model = keras_mlp.reparameterize(train_model)
    size = train_model.input_shape[1]
    images = np.random.default_rng(1).normal(size=(FLAGS.batch_size, size, size, 3)).astype("float32")

    forms = {"train": train_model, "deploy": deploy_model}
    forwards = {form: model.predict_on_batch for form, model in forms.items()}
    outputs = {form: np.asarray(forward(images)) for form, forward in forwards.items()}
    same_top1 = np.array_equal(outputs["train"].argmax(-1), outputs["deploy"].argmax(-1))
    max_diff = np.abs(outputs["train"] - outputs["deploy"]).max()

    calls = {form: functools.partial(forward, images) for form, forward in forwards.items()}
    seconds = timing.interleaved_seconds(calls, FLAGS.rounds, FLAGS.steps)
    throughput = timing.images_per_second(seconds, FLAGS.batch_size, FLAGS.steps)
    print(f"model {FLAGS.model}, backend {keras.backend.backend()}, batch {FLAGS.batch_size}, "
          f"{size}x{size}, median of {FLAGS.rounds} rounds x {FLAGS.steps} steps")
    print(f"params: train {train_model.count_params():,}, deploy {deploy_model.count_params():,}")
    peak = matmul_rate()
    for form, value in throughput.items():
        rate = value * keras_mlp.count_macs(forms[form])
        print(f"{form:>6}: {value:8.2f} img/s, {rate / 1e9:6.1f} GMAC/s "
              f"({rate / peak:.0%} of a {peak / 1e9:.1f} GMAC/s 2048x2048 matmul)")
    print(f"deploy / train speed-up: {throughput['deploy'] / throughput['train']:.2f}x")
    print(f"same top-1 predictions: {same_top1} (max |logit diff| {max_diff:.2e})")


if __name__ == "__main__":
    app.run(main)
