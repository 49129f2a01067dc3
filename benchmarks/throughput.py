"""Throughput of a keras_mlp model, and of its timm equivalent in the same run.

Families timm lacks (CycleMLP, Wave-MLP) are measured against their official
PyTorch code instead, re-stated module for module in `tests/reference`
(CycleMLP's `CycleFC` runs torchvision's `deform_conv2d`, as the official
file does); the report then names `official:<model>` where timm's model would be.

For one model, backend (`KERAS_BACKEND`), batch size, dtype and mode, prints
images/s, the achieved TFLOP/s from the analytic FLOP count
(`keras_mlp.count_flops`), peak device memory where the backend exposes it,
and the same for timm (when torch + timm are installed) with the ratio
keras_mlp / timm. Keras and timm repeats are interleaved so that machine noise
hits both alike; warm-up steps (compilation included) are not timed; figures
are medians over the repeats.

What is timed, per step:
  inference, keras_mlp: `keras_mlp.inference_function(model)(images)`, the
      compiled forward pass that `keras_mlp.classification.predict` runs, on a batch already
      converted to a backend tensor (timm's is on its device too), until its
      output is ready; `--jit_compile` is passed to it (`auto`: XLA on
      TensorFlow and JAX). `--keras_path=predict_on_batch` times Keras'
      `model.predict_on_batch(images)` instead (`--jit_compile` then goes to
      `model.compile`, whose `auto` means no XLA on TensorFlow CPUs).
  inference, timm: `model(images)` under `torch.inference_mode()`, eager
      or, with `--timm_compile`, through `torch.compile`.
  training, keras_mlp: `model.fit` on in-memory NumPy data, one call of
      `--steps` steps per repeat (AdamW, sparse categorical cross-entropy),
      `--jit_compile` passed to `model.compile`; timed from its first step's
      start to its last step's end (a callback), as a long run's steps are.
  training, timm: the usual loop (eager, or `--timm_compile`): forward, loss,
      backward, AdamW step.
Training FLOPs are counted as 3x the forward pass (backward = 2x forward).

    python benchmarks/throughput.py --model=mixer_s16 --batch_size=1 \\
        --mode=inference --dtype=float32 --json=out.json
    KERAS_BACKEND=jax python benchmarks/throughput.py --model=mixer_b16 \\
        --batch_size=256 --dtype=bfloat16 --timm_compile
"""

import importlib.util
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

# Must precede anything that imports TensorFlow: torchvision (imported by
# timm) crashes the process when loaded after it (tensorflow-cpu 2.21).
try:
    import torch
except ImportError:
    torch = None
try:
    import timm
except ImportError:
    timm = None

# JAX would otherwise reserve 75% of the GPU up front, leaving torch none.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import cpu  # noqa: E402  (benchmarks/cpu.py)
import keras_mlp  # noqa: E402
from keras_mlp.model_io.timm_config import timm_architectures  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "mixer_b16", "Registered keras_mlp model name.")
flags.DEFINE_integer("batch_size", 32, "Images per step.")
flags.DEFINE_enum("dtype", "float32", ["float32", "bfloat16"],
                  "float32, or bfloat16: in inference keras_mlp.inference_function(model, "
                  "dtype='bfloat16') (weights converted once) against timm's faster of "
                  "torch.autocast and bfloat16 weights; in training (and with "
                  "--keras_path=predict_on_batch) the mixed_bfloat16 policy against torch.autocast.")
flags.DEFINE_enum("mode", "inference", ["inference", "training"], "What a step is.")
flags.DEFINE_integer("image_size", None, "Input height and width; default: the model's.")
flags.DEFINE_integer("repeats", 5, "Timed repeats per implementation (interleaved).")
flags.DEFINE_integer("steps", 3, "Steps per timed repeat.")
flags.DEFINE_integer("warmup", 2, "Untimed steps first (compilation included).")
flags.DEFINE_enum("jit_compile", "auto", ["auto", "true", "false"],
                  "`jit_compile` of the timed inference path (XLA on TF/JAX), or in "
                  "training of model.compile (`auto`: XLA on JAX, not on TensorFlow CPUs).")
flags.DEFINE_enum("keras_path", "inference_function", ["inference_function", "predict_on_batch"],
                  "keras_mlp inference: the library's compiled forward pass, or Keras' "
                  "model.predict_on_batch.")
flags.DEFINE_integer("threads", 0,
                     "CPU threads of TensorFlow (intra-op) and torch; 0 keeps "
                     "TensorFlow's default (all cores) and gives torch as many. "
                     "JAX's XLA CPU always uses all cores.")
flags.DEFINE_bool("timm", True, "Also measure the timm equivalent, if installed.")
flags.DEFINE_bool(
    "timm_compile", False,
    "Run the timm model through torch.compile (the reference of the GPU targets); "
    "default eager, the reference of the CPU target.",
)
flags.DEFINE_string("json", None, "Write the results to this JSON file.")
flags.DEFINE_list(
    "models", None,
    "Print the table of ratios to timm for these models (`smallest`: every family's "
    "smallest ImageNet model) on each of --backends at each of --batch_sizes, "
    "instead of measuring --model at --batch_size.")
flags.DEFINE_list("backends", ["tensorflow", "jax"],
                  "With --models: Keras backends, each measured in its own process.")
flags.DEFINE_list("batch_sizes", ["1", "32"], "With --models: the batch sizes.")
flags.register_validator(
    "batch_sizes", lambda sizes: all(s.isdigit() and int(s) > 0 for s in sizes),
    message="--batch_sizes must be positive integers, e.g. --batch_sizes=1,32.")

# Model-name prefixes measured against the official code, and its file in
# tests/reference: in the checkout this script runs from, not in the package.
OFFICIAL_CODE = {"cyclemlp_": "cyclemlp_official.py", "wavemlp_": "wavemlp_official.py"}
REFERENCE_CODE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "reference"


# Set in the one-backend processes of `run_table`.
_CHILD_ENV = "KERAS_MLP_THROUGHPUT_BACKEND_RUN"


def main(_):
    if FLAGS.models and FLAGS.backends != [keras.backend.backend()]:
        run_table()
        return
    threads = configure_threads(keras.backend.backend(), FLAGS.threads)
    if FLAGS.dtype == "bfloat16" and not bfloat16_copy():
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    if FLAGS.models:
        reports = []
        for name in table_models(FLAGS.models):
            for batch_size in map(int, FLAGS.batch_sizes):
                reports.append(measure(name, batch_size, threads))
                print_report(reports[-1])
                keras.backend.clear_session()
        if _CHILD_ENV not in os.environ:  # run_table prints the table of every backend
            print_table(reports)
    else:
        reports = measure(FLAGS.model, FLAGS.batch_size, threads)
        print_report(reports)
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(reports, f, indent=2)


def measure(name, batch_size, threads):
    """The report of one model at one batch size on this process's backend."""
    backend = keras.backend.backend()
    kwargs = {"classifier_activation": None}
    if FLAGS.image_size:
        kwargs["input_shape"] = (FLAGS.image_size, FLAGS.image_size, 3)
    model = keras_mlp.create_model(name, **kwargs)
    size = model.input_shape[1]
    classes = model.output_shape[-1]
    jit_compile = {"auto": "auto", "true": True, "false": False}[FLAGS.jit_compile]
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile if FLAGS.mode == "training" or FLAGS.keras_path == "predict_on_batch" else "auto",
    )
    forward_flops = keras_mlp.count_flops(model)
    flops_per_image = forward_flops * (3 if FLAGS.mode == "training" else 1)

    rng = np.random.default_rng(0)
    num = batch_size * (max(FLAGS.steps, FLAGS.warmup) if FLAGS.mode == "training" else 1)
    images = rng.normal(size=(num, size, size, 3)).astype("float32")
    labels = rng.integers(0, classes, size=(num,))

    runners = {"keras_mlp": keras_runner(model, images, labels, batch_size, jit_compile)}
    timm_name, why_not = timm_equivalent(name, size)
    if timm_name:
        runners["timm"] = timm_runner(timm_name, classes, images, labels, batch_size)
        if bfloat16_copy():
            runners["timm_bf16_weights"] = timm_runner(
                timm_name, classes, images, labels, batch_size, bfloat16_weights=True
            )

    for run in runners.values():
        run(FLAGS.warmup)
    reset_peak_memory(backend)
    seconds = {impl: [] for impl in runners}
    load_before = os.getloadavg()
    for _ in range(FLAGS.repeats):
        for impl, run in runners.items():
            start = time.perf_counter()
            # A runner that times its own steps returns their seconds.
            timed = run(FLAGS.steps)
            seconds[impl].append((time.perf_counter() - start if timed is None else timed) / FLAGS.steps)
    load_after = os.getloadavg()

    keras_peak = keras_peak_memory(backend)
    # torch's peak covers both timm runs of a bfloat16 inference report.
    timm_peak = torch.cuda.max_memory_allocated() if "timm" in runners and torch.cuda.is_available() else None
    results = {}
    for impl, times in seconds.items():
        step = float(np.median(times))
        results[impl] = {
            "images_per_second": batch_size / step,
            "step_seconds_median": step,
            "step_seconds": times,
            "tflops_per_second": flops_per_image * batch_size / step / 1e12,
            "peak_memory_bytes": keras_peak if impl == "keras_mlp" else timm_peak,
        }
    report = {
        "model": name,
        "timm_model": timm_name,
        "backend": backend,
        "mode": FLAGS.mode,
        "dtype": FLAGS.dtype,
        "batch_size": batch_size,
        "image_size": size,
        "keras_mlp_path": keras_path_description(model, batch_size, jit_compile),
        "timm_path": timm_path_description() if timm_name else why_not,
        "forward_gflops_per_image": forward_flops / 1e9,
        "repeats": FLAGS.repeats,
        "steps_per_repeat": FLAGS.steps,
        "warmup_steps": FLAGS.warmup,
        "threads": threads,
        "machine": machine_description(backend),
        "load_average_before_after": [load_before[0], load_after[0]],
        "versions": versions(backend),
        "results": results,
    }
    if "timm" in results:
        # Against timm's fastest way (in bfloat16 inference, of two).
        best = max(r["images_per_second"] for impl, r in results.items() if impl.startswith("timm"))
        report["ratio_keras_mlp_over_timm"] = results["keras_mlp"]["images_per_second"] / best
    return report


def bfloat16_copy():
    """Whether keras_mlp runs `inference_function`'s bfloat16 copy of the model
    (weights converted once) rather than Keras' `mixed_bfloat16` policy."""
    return (FLAGS.dtype == "bfloat16" and FLAGS.mode == "inference"
            and FLAGS.keras_path == "inference_function")


def table_models(names):
    if names == ["smallest"]:
        return smallest_imagenet_models()
    for name in names:
        keras_mlp.get_constructor(name)  # an unknown name fails here, with suggestions
    return names


def smallest_imagenet_models():
    """Each family's registered ImageNet classifier with the fewest parameters.

    A family is the module that registers the constructors; an ImageNet
    classifier is a model whose defaults give 1000 classes at 224x224 or more
    (not RepMLP's CIFAR and face models, not Mixer-T/4 at 32x32). Each model
    is built inside `keras.StatelessScope`, where variables get their shapes
    but no values: counting costs no weights.
    """
    smallest = {}
    for name in keras_mlp.list_models():
        constructor = keras_mlp.get_constructor(name)
        with keras.StatelessScope():
            model = constructor()
        if model.output_shape[-1] == 1000 and min(model.input_shape[1:3]) >= 224:
            candidate = (model.count_params(), name)
            smallest[constructor.__module__] = min(smallest.get(constructor.__module__, candidate), candidate)
        keras.backend.clear_session()
    return sorted(name for _, name in smallest.values())


def run_table():
    """One process per backend (a process has one Keras backend), each
    measuring every model at every batch size; then the table of ratios."""
    names = table_models(FLAGS.models)
    forwarded = [
        FLAGS[flag].serialize()
        for flag in ("dtype", "mode", "image_size", "repeats", "steps", "warmup", "jit_compile",
                     "keras_path", "threads", "timm", "timm_compile", "batch_sizes")
        if FLAGS[flag].value is not None
    ]
    reports = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in FLAGS.backends:
            path = os.path.join(folder, f"{backend}.json")
            command = [sys.executable, os.path.abspath(__file__), f"--models={','.join(names)}",
                       f"--backends={backend}", f"--json={path}", *forwarded]
            print(f"KERAS_BACKEND={backend} {' '.join(command[1:])}", flush=True)
            env = dict(os.environ, KERAS_BACKEND=backend, **{_CHILD_ENV: "1"})
            if backend == "jax" and FLAGS.threads:
                # XLA reads its thread count once, from the environment, at start-up.
                env["XLA_FLAGS"] = (f"{env.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen=false "
                                    f"intra_op_parallelism_threads={FLAGS.threads}").strip()
            subprocess.run(command, env=env, check=True)
            with open(path) as f:
                reports += json.load(f)
    print_table(reports)
    if FLAGS.json:
        with open(FLAGS.json, "w") as f:
            json.dump(reports, f, indent=2)


def print_table(reports):
    """keras_mlp / timm throughput per model (rows) and backend x batch size
    (columns), keras_mlp's images/s beside each ratio."""
    columns = list(dict.fromkeys((r["backend"], r["batch_size"]) for r in reports))
    cells = {(r["model"], r["backend"], r["batch_size"]): r for r in reports}
    short = {"tensorflow": "TF", "jax": "JAX", "torch": "torch"}
    first = reports[0]
    print(f"\nkeras_mlp / reference throughput (> 1: keras_mlp faster), "
          f"{first['dtype']}, {first['mode']}; {first['machine']}")
    print("| model | reference | " + " | ".join(f"{short[b]} b{n}" for b, n in columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for model in dict.fromkeys(r["model"] for r in reports):
        row = []
        for backend, batch_size in columns:
            r = cells.get((model, backend, batch_size))
            if r is None:
                row.append("")
            elif "ratio_keras_mlp_over_timm" in r:
                row.append(f"{r['ratio_keras_mlp_over_timm']:.2f}x "
                           f"({r['results']['keras_mlp']['images_per_second']:.1f} img/s)")
            else:
                row.append(f"n/a ({r['results']['keras_mlp']['images_per_second']:.1f} img/s)")
        reference = next(r["timm_model"] or "none" for r in reports if r["model"] == model)
        print(f"| {model} | {reference} | " + " | ".join(row) + " |")
    loads = [x for r in reports for x in r["load_average_before_after"]]
    print(f"load average during the runs: {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} cores")


def configure_threads(backend, threads):
    """Gives torch as many threads as the Keras backend uses, for a fair race."""
    count = threads or os.cpu_count()
    if backend == "tensorflow" and threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
    if torch is not None:
        torch.set_num_threads(count)
    if backend == "jax":
        description = f"XLA CPU: XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r} (--threads applies with --models only)"
    else:
        description = f"{backend} intra-op: {count}"
    if torch is not None:
        description += f"; torch (timm): {torch.get_num_threads()}"
    return description


def keras_runner(model, images, labels, batch_size, jit_compile):
    if FLAGS.mode == "inference":
        # On the device already, as timm's input is: the timed step is the
        # model, not the host-to-device copy of the images.
        batch = keras.ops.convert_to_tensor(images[: batch_size])
        if FLAGS.keras_path == "predict_on_batch":
            forward = model.predict_on_batch
        else:
            dtype = "bfloat16" if bfloat16_copy() else None
            forward = keras_mlp.inference_function(model, jit_compile=jit_compile, dtype=dtype)

        def run(steps):
            for _ in range(steps):
                # As `keras_mlp.classification.predict` does; JAX dispatches asynchronously,
                # so this is also where a JAX step ends.
                keras.ops.convert_to_numpy(forward(batch))
    else:
        timer = StepsTimer()

        def run(steps):
            n = steps * batch_size
            model.fit(
                images[:n],
                labels[:n],
                batch_size=batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
                callbacks=[timer],
            )
            return timer.seconds
    return run


class StepsTimer(keras.callbacks.Callback):
    """Seconds from the first step's start to the last step's end of a `fit`
    call: its steps, without what a call of `fit` costs once (building the
    input iterator, and on TensorFlow about 8 s for Mixer-S/16 on a 2-core
    CPU when it returns, measured with cProfile in the exiting frame)."""

    def on_train_begin(self, logs=None):
        self.start = self.seconds = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.start is None:
            self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        # JAX dispatches a step asynchronously: it has ended when its loss is ready.
        float(logs["loss"])
        self.seconds = time.perf_counter() - self.start


def timm_equivalent(name, size):
    if not FLAGS.timm:
        return None, "not measured (--notimm)"
    if timm is None:
        return None, "not measured (timm not installed)"
    if name.startswith(tuple(OFFICIAL_CODE)):
        return f"official:{name}", None
    # The architectures keras_mlp loads timm checkpoints of (its names differ:
    # resmlp_s12 is timm's resmlp_12_224), then the same name; timm registers
    # most models at 224 only, other sizes go through `img_size`.
    candidates = [arch for arch, known in timm_architectures().items() if known.model == name]
    candidates += [f"{name}_{size}", f"{name}_224"]
    for timm_name in candidates:
        if timm.is_model(timm_name):
            return timm_name, None
    return None, f"not measured (timm has none of {', '.join(dict.fromkeys(candidates))})"


def timm_runner(timm_name, classes, images, labels, batch_size, bfloat16_weights=False):
    """A timm step; `bfloat16_weights`: the model and images cast to bfloat16
    (`.to(torch.bfloat16)`) instead of `torch.autocast` over float32 ones."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if timm_name.startswith("official:"):
        name = timm_name.partition(":")[2]
        file = REFERENCE_CODE / next(f for prefix, f in OFFICIAL_CODE.items() if name.startswith(prefix))
        spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.create(name, num_classes=classes)
    else:
        model = timm.create_model(timm_name, pretrained=False, num_classes=classes, img_size=images.shape[1])
    dtype = torch.bfloat16 if bfloat16_weights else torch.float32
    model = model.to(device, dtype)
    forward = torch.compile(model) if FLAGS.timm_compile else model
    autocast = torch.autocast(device, dtype=torch.bfloat16,
                              enabled=FLAGS.dtype == "bfloat16" and not bfloat16_weights)
    x = torch.from_numpy(images[: batch_size].transpose(0, 3, 1, 2).copy()).to(device, dtype)
    y = torch.from_numpy(labels[: batch_size]).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if FLAGS.mode == "inference":
        model.eval()

        def run(steps):
            with torch.inference_mode(), autocast:
                for _ in range(steps):
                    forward(x)
            sync()
    else:
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss()

        def run(steps):
            for _ in range(steps):
                optimizer.zero_grad(set_to_none=True)
                with autocast:
                    loss = loss_fn(forward(x), y)
                loss.backward()
                optimizer.step()
            sync()
    return run


def keras_path_description(model, batch_size, jit_compile):
    if FLAGS.mode == "inference" and FLAGS.keras_path == "inference_function":
        dtype = ', dtype="bfloat16"' if bfloat16_copy() else ""
        return (f"keras_mlp.inference_function(model, jit_compile={jit_compile!r}{dtype})"
                "(images already on the device)")
    if FLAGS.mode == "inference":
        return ("model.predict_on_batch(images already on the device) after "
                f"model.compile(jit_compile={model.jit_compile})")
    return f"model.fit(numpy, batch_size={batch_size}) after model.compile(jit_compile={model.jit_compile})"


def timm_path_description():
    how = "torch.compile(model)" if FLAGS.timm_compile else "eager model"
    if bfloat16_copy():
        return (f"{how}(x) under torch.inference_mode(): timm under torch.autocast, "
                "timm_bf16_weights with model and x .to(torch.bfloat16); the ratio is to the faster")
    if FLAGS.mode == "inference":
        return f"{how}(x) under torch.inference_mode()"
    return f"{how} forward + CrossEntropyLoss + backward + AdamW step"


def reset_peak_memory(backend):
    if torch is not None and torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            tf.config.experimental.reset_memory_stats("GPU:0")


def keras_peak_memory(backend):
    """Peak device bytes of the Keras backend, or `None` where there are none
    to report (CPU: TensorFlow and JAX expose no allocator statistics)."""
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats()
        return stats.get("peak_bytes_in_use") if stats else None
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return tf.config.experimental.get_memory_info("GPU:0")["peak"]
        return None
    return torch.cuda.max_memory_allocated() if torch.cuda.is_available() else None


def machine_description(backend):
    description = cpu.describe()
    if backend == "jax":
        import jax

        description += f"; keras device: {jax.devices()[0].device_kind}"
    if torch is not None and torch.cuda.is_available():
        description += f"; torch device: {torch.cuda.get_device_name()}"
    return description


def versions(backend):
    found = {"python": platform.python_version(), "keras": keras.__version__}
    backend_module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    found[backend_module] = sys.modules[backend_module].__version__
    if torch is not None:
        found.update(torch=torch.__version__, timm=timm.__version__)
    return found


def print_report(report):
    print(f"{report['model']} | backend {report['backend']} | {report['mode']} | "
          f"{report['dtype']} | batch {report['batch_size']} | "
          f"{report['image_size']}x{report['image_size']} | "
          f"{report['forward_gflops_per_image']:.2f} GFLOP/image forward")
    print(f"machine: {report['machine']}")
    print(f"threads: {report['threads']}")
    print(f"median of {report['repeats']} interleaved repeats x {report['steps_per_repeat']} steps, "
          f"after {report['warmup_steps']} warm-up steps; load average "
          f"{report['load_average_before_after'][0]:.2f} -> {report['load_average_before_after'][1]:.2f}")
    if max(report["load_average_before_after"]) > os.cpu_count():
        print("WARNING: load average above the core count: other processes share the "
              "CPUs, and multi-threaded runs (torch's OpenMP especially) slow down "
              "erratically. Re-run on an idle machine, or compare with --threads=1.")
    print(f"keras_mlp: {report['keras_mlp_path']}")
    print(f"timm: {report['timm_path']}")
    print(f"{'':17} {'img/s':>10} {'ms/step':>10} {'TFLOP/s':>9} {'peak mem':>10}")
    for impl, r in report["results"].items():
        memory = "n/a" if r["peak_memory_bytes"] is None else f"{r['peak_memory_bytes'] / 2**30:.2f} GiB"
        print(f"{impl:17} {r['images_per_second']:10.2f} {r['step_seconds_median'] * 1e3:10.1f} "
              f"{r['tflops_per_second']:9.3f} {memory:>10}")
    if "ratio_keras_mlp_over_timm" in report:
        print(f"keras_mlp / timm throughput: {report['ratio_keras_mlp_over_timm']:.2f}x "
              "(> 1: keras_mlp faster)")


if __name__ == "__main__":
    app.run(main)
