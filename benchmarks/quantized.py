"""int8 inference against float32 on the same CPU, in one table.

For each model, on the TensorFlow backend, the float32 reference is
`keras_mlp.inference_function(model)` (what `examples/predict.py` runs).
Against it, each artifact in its own runtime, with as many threads:

  TFLite float32        `export_model(model, path, "tflite")`
  TFLite dynamic range  `export_model(model, path, "tflite_int8")`: int8
                        weights, activations quantized on the fly
  TFLite full integer   Keras' LiteRT export with a representative dataset and
                        only int8 kernels (`TFLITE_BUILTINS_INT8`); float32
                        images in and logits out, int8 everywhere between
  ONNX Runtime float32  `export_model(model, path, "onnx")`
  ONNX Runtime int8     `onnxruntime.quantization.quantize_dynamic` of that
                        file (int8 weights, dynamic activations)

Each row gives images/s at every batch size, its ratio to the float32
reference in the same run, the file's size, and how well it agrees with the
float32 model on real photos (`skimage.data`, centre-cropped and normalised
as ImageNet weights are): top-1 agreement and the largest logit difference.
The full-integer model is calibrated on other photos than those it is
compared on. Without the weights on disk the models hold their random
initial weights, whose logits lie closer together than a trained model's:
the agreement is then a lower bound. (A head that starts at zero, as
Mixer's does, is drawn from N(0, 0.02) instead, so that the photos' logits
differ.)

    python benchmarks/quantized.py --models=mixer_s16,resmlp_s12 --batch_sizes=1,32
"""

import functools
import os
import tempfile

import numpy as np
from absl import app, flags

import cpu  # benchmarks/cpu.py
import timing  # benchmarks/timing.py

FLAGS = flags.FLAGS
flags.DEFINE_list("models", ["mixer_s16", "resmlp_s12"], "Registered model names.")
flags.DEFINE_list("batch_sizes", ["1", "32"], "Batch sizes to time.")
flags.DEFINE_integer("image_size", 0, "Input side; 0 keeps each model's default.")
flags.DEFINE_integer("threads", 0, "Threads of every runtime; 0 uses every core.")
flags.DEFINE_integer("warmup", 2, "Untimed calls per runtime and batch size.")
flags.DEFINE_integer("repeats", 3, "Timed rounds (runtimes interleaved); the median is kept.")
flags.DEFINE_integer("steps", 3, "Calls per timed round.")

# Compared on these; the full-integer model is calibrated on `CALIBRATION`.
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "camera", "coins", "logo")
CALIBRATION = ("retina", "hubble_deep_field", "immunohistochemistry", "colorwheel")
CROPS_PER_CALIBRATION_PHOTO = 4
RUNTIMES = (
    "keras_mlp float32", "TFLite float32", "TFLite dynamic range", "TFLite full integer",
    "ONNX Runtime float32", "ONNX Runtime int8",
)
# A float32 artifact that disagrees with the Keras model more than this is a
# broken export or harness, not a measurement.
FLOAT32_TOLERANCE = 1e-3


def photo(name):
    import skimage.data

    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image  # stereo pairs
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return image[..., :3]


def photo_batch(names, size):
    """Centre crops, normalised with ImageNet's statistics."""
    import tensorflow as tf

    import keras_mlp
    from keras_mlp.data.pipeline import eval_crop
    from keras_mlp.data.preprocessing import IMAGENET

    crops = [eval_crop(tf.constant(photo(n)), size, IMAGENET.crop_pct, IMAGENET.interpolation) for n in names]
    return np.asarray(keras_mlp.preprocess_input(tf.stack(crops), IMAGENET))


def calibration_batches(size):
    """Random crops of `CALIBRATION`, one image a batch, as the converter asks."""
    import tensorflow as tf

    import keras_mlp
    from keras_mlp.data.preprocessing import IMAGENET

    rng = np.random.default_rng(0)
    for name in CALIBRATION:
        image = photo(name)
        for _ in range(CROPS_PER_CALIBRATION_PHOTO):
            side = int(rng.integers(size, min(image.shape[:2]) + 1))
            top = int(rng.integers(0, image.shape[0] - side + 1))
            left = int(rng.integers(0, image.shape[1] - side + 1))
            crop = tf.image.resize(image[top:top + side, left:left + side], (size, size), antialias=True)
            yield [np.asarray(keras_mlp.preprocess_input(crop[None], IMAGENET))]


def export_all(model, directory, size):
    """`{runtime: (path, format)}` of every artifact of `model`, the format
    `keras_mlp.export.artifact_runner` runs it as."""
    import onnxruntime.quantization
    import tensorflow as tf

    from keras_mlp.export import export_model

    artifacts = {
        runtime: (os.path.join(directory, file), format)
        for runtime, format, file in (
            ("TFLite float32", "tflite", "float32.tflite"),
            ("TFLite dynamic range", "tflite_int8", "dynamic.tflite"),
            ("TFLite full integer", "tflite", "full_integer.tflite"),
            ("ONNX Runtime float32", "onnx", "float32.onnx"),
            ("ONNX Runtime int8", "onnx", "int8.onnx"),
        )
    }
    for runtime in ("TFLite float32", "TFLite dynamic range", "ONNX Runtime float32"):
        export_model(model, *artifacts[runtime])
    model.export(
        artifacts["TFLite full integer"][0], format="litert", verbose=False,
        optimizations=[tf.lite.Optimize.DEFAULT],
        representative_dataset=lambda: calibration_batches(size),
        target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
    )
    onnxruntime.quantization.quantize_dynamic(
        artifacts["ONNX Runtime float32"][0], artifacts["ONNX Runtime int8"][0],
        weight_type=onnxruntime.quantization.QuantType.QInt8,
    )
    return artifacts


def keras_runner(model):
    import keras

    import keras_mlp

    forward = keras_mlp.inference_function(model)
    return lambda images: keras.ops.convert_to_numpy(forward(images))


def measure(name, threads, directory):
    import keras_mlp
    from keras_mlp.export import artifact_runner

    kwargs = {"input_shape": (FLAGS.image_size, FLAGS.image_size, 3)} if FLAGS.image_size else {}
    model = keras_mlp.create_model(name, weights=None, classifier_activation=None, **kwargs)
    # Families whose heads start at zero (Mixer's, as the paper's) would give
    # every photo the same logits, which any quantization "agrees" with.
    kernel = model.get_layer("predictions").kernel
    if not np.any(kernel.numpy()):
        kernel.assign(np.random.default_rng(0).normal(0.0, 0.02, kernel.shape).astype("float32"))
    size = model.input_shape[1]
    artifacts = export_all(model, directory, size)
    runners = {"keras_mlp float32": keras_runner(model)}
    for runtime, (path, format) in artifacts.items():
        runners[runtime] = artifact_runner(path, format, num_threads=threads)

    photos = photo_batch(PHOTOS, size)
    logits = {runtime: run(photos) for runtime, run in runners.items()}
    reference = logits["keras_mlp float32"]
    if np.ptp(reference.argmax(-1)) == 0:
        raise SystemExit(f"{name}: every photo gets the same top-1 class; agreement with it would prove nothing.")
    rows = {}
    for runtime in RUNTIMES:
        values = logits[runtime]
        if not np.all(np.isfinite(values)):
            raise SystemExit(f"{name}: {runtime} returned non-finite logits on the photos.")
        difference = float(np.abs(values - reference).max())
        if runtime.endswith("float32") and difference > FLOAT32_TOLERANCE * np.ptp(reference):
            raise SystemExit(
                f"{name}: {runtime} differs from the Keras model by {difference:.3g} on the photos: "
                "the float32 artifact is broken, so its int8 figures would be too."
            )
        rows[runtime] = {
            "top1": int(np.sum(values.argmax(-1) == reference.argmax(-1))),
            "max_logit_difference": difference,
            "megabytes": os.path.getsize(artifacts[runtime][0]) / 2**20 if runtime in artifacts else None,
            "images_per_second": {},
        }

    rng = np.random.default_rng(1)
    for batch_size in map(int, FLAGS.batch_sizes):
        images = rng.normal(size=(batch_size, size, size, 3)).astype("float32")
        for run in runners.values():
            for _ in range(FLAGS.warmup):
                run(images)
        calls = {runtime: functools.partial(run, images) for runtime, run in runners.items()}
        seconds = timing.interleaved_seconds(calls, FLAGS.repeats, FLAGS.steps)
        for runtime, value in timing.images_per_second(seconds, batch_size, FLAGS.steps).items():
            rows[runtime]["images_per_second"][batch_size] = value
    return size, float(np.ptp(reference)), rows


def print_table(name, size, spread, rows):
    batch_sizes = list(map(int, FLAGS.batch_sizes))
    reference = rows["keras_mlp float32"]["images_per_second"]
    print(f"\n{name}, {size}x{size}; {len(PHOTOS)} photos, whose float32 logits span {spread:.3g}")
    header = ["runtime"] + [f"b{b} img/s" for b in batch_sizes] + [f"b{b} vs float32" for b in batch_sizes]
    header += ["MB", "top-1 agrees", "max |logit diff|"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for runtime, row in rows.items():
        speed = row["images_per_second"]
        cells = [runtime] + [f"{speed[b]:.2f}" for b in batch_sizes]
        cells += [f"{speed[b] / reference[b]:.2f}x" for b in batch_sizes]
        cells += ["" if row["megabytes"] is None else f"{row['megabytes']:.1f}"]
        cells += [f"{row['top1']}/{len(PHOTOS)}", f"{row['max_logit_difference']:.3g}"]
        print("| " + " | ".join(cells) + " |")


def main(_):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise SystemExit("TFLite and the ONNX export convert TensorFlow graphs: run with KERAS_BACKEND=tensorflow.")
    threads = FLAGS.threads or os.cpu_count()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    print(f"machine: {cpu.describe()}; {threads} threads in every runtime; TensorFlow {tf.__version__}")
    print(f"median of {FLAGS.repeats} interleaved rounds of {FLAGS.steps} calls, after {FLAGS.warmup} warm-up calls")
    for name in FLAGS.models:
        with tempfile.TemporaryDirectory() as directory:
            size, spread, rows = measure(name, threads, directory)
        print_table(name, size, spread, rows)


if __name__ == "__main__":
    app.run(main)
