r"""Throughput of a keras_mlp model, and of its timm equivalent in the same run.

  python benchmarks/throughput.py --model=mixer_s16 --batch_size=1 --mode=inference
  KERAS_BACKEND=jax python benchmarks/throughput.py --model=mixer_b16 \
      --batch_size=256 --dtype=bfloat16 --json=results.json

Prints images/second (median of --repeats timed rounds after --warmup
untimed ones), achieved TFLOP/s from the model's analytic FLOP count and,
where the backend exposes it, peak device memory. With torch + timm
installed the timm model is measured in the same process, rounds
interleaved with keras_mlp's so that machine noise hits both, and the
ratio keras_mlp / timm is printed.
"""

# torch/timm must be imported before TensorFlow (the other order segfaults).
try:
    import timm
    import torch
except ImportError:
    timm = torch = None

import json
import os
import statistics
import time

import keras
import numpy as np
from absl import app, flags

import keras_mlp

TIMM_NAMES = {
    "mixer_s32": "mixer_s32_224", "mixer_s16": "mixer_s16_224", "mixer_b32": "mixer_b32_224",
    "mixer_b16": "mixer_b16_224", "mixer_l32": "mixer_l32_224", "mixer_l16": "mixer_l16_224",
}

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "mixer_b16", "Registered keras_mlp model name.")
flags.DEFINE_integer("batch_size", 32, "Images per step.")
flags.DEFINE_integer("image_size", 224, "Square input side.")
flags.DEFINE_enum("mode", "inference", ["inference", "train"], "Forward only, or a model.fit train step.")
flags.DEFINE_enum("dtype", "float32", ["float32", "bfloat16"], "float32, or bfloat16 mixed precision.")
flags.DEFINE_enum(
    "keras_path", "predict_on_batch", ["predict_on_batch", "call"],
    "Inference entry point measured: model.predict_on_batch (Keras' compiled predict "
    "function), or an eager model(x) call.",
)
flags.DEFINE_integer("steps", 10, "Batches per timed round.")
flags.DEFINE_integer("warmup", 2, "Untimed rounds first (compilation).")
flags.DEFINE_integer("repeats", 5, "Timed rounds; the median is reported.")
flags.DEFINE_bool("timm", True, "Also measure the timm model when torch + timm are installed.")
flags.DEFINE_string("json", None, "Write the results to this JSON file.")


def keras_runner(model, x, y):
    if FLAGS.mode == "train":
        model.compile(keras.optimizers.AdamW(1e-4), "sparse_categorical_crossentropy")

        def step():
            model.fit(x, y, batch_size=FLAGS.batch_size, epochs=1, steps_per_epoch=FLAGS.steps,
                      verbose=0, shuffle=False)
        return step
    if FLAGS.keras_path == "call":
        def step():
            for _ in range(FLAGS.steps):
                keras.ops.convert_to_numpy(model(x, training=False))
        return step

    def step():
        for _ in range(FLAGS.steps):
            model.predict_on_batch(x)
    return step


def timm_runner(name, x, y):
    model = timm.create_model(name, pretrained=False, num_classes=1000)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(y).long()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=FLAGS.dtype == "bfloat16")
    if FLAGS.mode == "train":
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), 1e-4)

        def step():
            for _ in range(FLAGS.steps):
                with autocast:
                    loss = torch.nn.functional.cross_entropy(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return step
    model.eval()

    def step():
        with torch.inference_mode(), autocast:
            for _ in range(FLAGS.steps):
                model(images)
    return step


def timed(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def peak_memory_mb():
    if keras.backend.backend() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            return stats["peak_bytes_in_use"] / 2**20
    return None


def main(argv):
    del argv
    if FLAGS.dtype == "bfloat16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (FLAGS.batch_size, FLAGS.image_size, FLAGS.image_size, 3)).astype("float32")
    y = rng.randint(0, 1000, FLAGS.batch_size)
    model = keras_mlp.create_model(
        FLAGS.model, input_shape=(FLAGS.image_size,) * 2 + (3,), classifier_activation=None
    )
    runners = {"keras_mlp": keras_runner(model, np.repeat(x, FLAGS.steps, 0) if FLAGS.mode == "train" else x,
                                         np.repeat(y, FLAGS.steps, 0) if FLAGS.mode == "train" else y)}
    threads = None
    if FLAGS.timm and timm is not None and FLAGS.model in TIMM_NAMES:
        threads = os.cpu_count()
        torch.set_num_threads(threads)
        runners["timm"] = timm_runner(TIMM_NAMES[FLAGS.model], x, y)
    for _ in range(FLAGS.warmup):
        for step in runners.values():
            step()
    times = {name: [] for name in runners}
    for _ in range(FLAGS.repeats):
        for name, step in runners.items():  # interleaved: noise hits both
            times[name].append(timed(step))

    from keras_mlp.models.flops import count_flops

    flops = count_flops(model) if keras.backend.backend() == "tensorflow" else None
    per_step = flops * (3 if FLAGS.mode == "train" else 1) if flops else None
    results = {
        "model": FLAGS.model, "backend": keras.backend.backend(), "mode": FLAGS.mode,
        "dtype": FLAGS.dtype, "batch_size": FLAGS.batch_size, "image_size": FLAGS.image_size,
        "keras_path": FLAGS.keras_path, "torch_threads": threads,
        "gflops_per_image_forward": flops / 1e9 if flops else None,
    }
    images = FLAGS.batch_size * FLAGS.steps
    for name, values in times.items():
        seconds = statistics.median(values)
        results[name] = {
            "images_per_second": images / seconds,
            "ms_per_batch": 1000 * seconds / FLAGS.steps,
            "tflops": per_step * images / seconds / 1e12 if per_step else None,
        }
    results["keras_mlp"]["peak_memory_mb"] = peak_memory_mb()
    if "timm" in results:
        results["ratio_keras_mlp_over_timm"] = (
            results["keras_mlp"]["images_per_second"] / results["timm"]["images_per_second"]
        )
    for name in runners:
        r = results[name]
        tflops = f", {r['tflops']:.3f} TFLOP/s" if r["tflops"] else ""
        print(f"{name:10s} {r['images_per_second']:9.1f} img/s  {r['ms_per_batch']:8.2f} ms/batch{tflops}")
    if "ratio_keras_mlp_over_timm" in results:
        print(f"keras_mlp / timm throughput: {results['ratio_keras_mlp_over_timm']:.2f}x "
              f"(torch threads {threads}, {FLAGS.model}, batch {FLAGS.batch_size}, {FLAGS.mode}, "
              f"{FLAGS.dtype}, {keras.backend.backend()} backend)")
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    app.run(main)
