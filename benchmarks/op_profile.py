"""Where one inference step's time goes: keras_mlp beside timm eager, per kind of op.

For one model and batch size on this process's Keras backend (`KERAS_BACKEND`),
prints, in ms per step:

- the wall time of `keras_mlp.inference_function(model)` (the path users call),
  of Keras' `model.predict_on_batch` and of timm's eager model;
- the matmul limit of each: the model's multiply-accumulates
  (`keras_mlp.count_macs`) at the rate that backend reaches on the model's
  largest matmul (channel-mixing fc1, `(tokens, width) x (width, hidden)`) alone;
- the profiled op time of each, summed per kind (matmul, convolution,
  transpose/copy, norm, GELU, element-wise, other): TensorFlow's profiler for
  TensorFlow graphs (`--jit_compile=false`) and JAX's for XLA programs,
  `torch.profiler` for timm. An XLA program's fusions are named by XLA after
  their ops (`add_rsqrt_fusion`: a norm); what the profile does not cover is
  per-call overhead (Python, dispatch, thread hand-offs).

    python benchmarks/op_profile.py --model=mixer_s16 --batch_size=1
    KERAS_BACKEND=jax python benchmarks/op_profile.py --model=resmlp_s12 --batch_size=1
"""

import collections
import glob
import os
import tempfile
import time

# Before TensorFlow: torchvision (imported by timm) crashes when loaded after it.
import timm
import torch

import keras  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import keras_mlp  # noqa: E402
from keras_mlp.weights.timm_config import timm_architectures  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "mixer_s16", "A keras_mlp model with a timm architecture "
                    "(keras_mlp.weights.timm_config.timm_architectures()).")
flags.DEFINE_integer("batch_size", 1, "Images per step.")
flags.DEFINE_integer("image_size", None, "Input height and width; default: the model's.")
flags.DEFINE_integer("steps", 20, "Timed (and profiled) steps.")
flags.DEFINE_enum("jit_compile", "auto", ["auto", "true", "false"],
                  "`jit_compile` of keras_mlp.inference_function; `false` on TensorFlow "
                  "profiles the graph op by op (an XLA cluster is one op to TensorFlow's profiler).")
flags.DEFINE_integer("threads", 0, "torch threads (and TensorFlow intra-op); 0: all cores.")

# Op kinds, matched in order against the lower-cased op name (TensorFlow: the
# op type; XLA: the fusion's name; torch: the aten op).
KINDS = (
    # XLA's CPU runtime hands dots, with what it fuses around them, to
    # YNNPACK/XNNPACK ("ynn_fusion", "xnn_fusion") or oneDNN.
    ("matmul", ("matmul", "dot", "addmm", "aten::mm", "bmm", "gemm", "ynn_fusion", "xnn_fusion", "onednn")),
    ("convolution", ("conv",)),
    ("transpose/copy", ("transpose", "copy", "clone", "contiguous")),
    ("norm", ("norm", "rsqrt", "moments", "mean", "variance")),
    ("GELU", ("gelu", "erf", "tanh")),
    ("element-wise", ("add", "mul", "sub", "div", "biasadd", "cast", "exp", "select")),
)


def kind_of(name):
    name = name.lower()
    return next((kind for kind, keys in KINDS if any(k in name for k in keys)), "other")


def main(_):
    backend = keras.backend.backend()
    threads = FLAGS.threads or os.cpu_count()
    torch.set_num_threads(threads)
    if backend == "tensorflow" and FLAGS.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(FLAGS.threads)
    kwargs = {"classifier_activation": None}
    if FLAGS.image_size:
        kwargs["input_shape"] = (FLAGS.image_size, FLAGS.image_size, 3)
    model = keras_mlp.create_model(FLAGS.model, **kwargs)
    size = model.input_shape[1]
    images = np.random.default_rng(0).normal(size=(FLAGS.batch_size, size, size, 3)).astype("float32")
    x = keras.ops.convert_to_tensor(images)
    jit_compile = {"auto": "auto", "true": True, "false": False}[FLAGS.jit_compile]
    forward = keras_mlp.inference_function(model, jit_compile=jit_compile)
    timm_name = next(arch for arch, known in timm_architectures().items() if known.model == FLAGS.model)
    reference = timm.create_model(timm_name, pretrained=False, img_size=size).eval()
    x_torch = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())

    def timm_step():
        with torch.inference_mode():
            reference(x_torch)

    paths = {
        "keras_mlp.inference_function": lambda: keras.ops.convert_to_numpy(forward(x)),
        "model.predict_on_batch": lambda: model.predict_on_batch(x),
        "timm eager": timm_step,
    }
    walls = interleaved_medians(paths)
    macs = keras_mlp.count_macs(model) * FLAGS.batch_size
    rates = matmul_rates(model, backend)
    keras_ops, keras_others = profile_keras(backend, paths["keras_mlp.inference_function"])
    timm_ops = profile_timm(timm_step)

    print(f"{FLAGS.model} | batch {FLAGS.batch_size} | {size}x{size} | float32 | backend {backend}, "
          f"jit_compile={jit_compile!r} | {threads} threads | {macs / 1e9:.2f} GMAC/step | "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'ms per step':32} {'wall':>8} {'matmul limit':>13}")
    for path, seconds in walls.items():
        rate = rates["torch" if path == "timm eager" else "keras"]
        print(f"{path:32} {seconds * 1e3:8.2f} {macs / rate * 1e3:13.2f}")
    print(f"largest matmul alone: keras ({backend}) {rates['keras'] / 1e9:.0f} GMAC/s, "
          f"torch {rates['torch'] / 1e9:.0f} GMAC/s")
    print(f"\nprofiled op time, ms per step (mean of {FLAGS.steps} steps)")
    print(f"{'kind':16} {'keras_mlp':>10} {'timm':>10}")
    for kind in [k for k, _ in KINDS] + ["other"]:
        print(f"{kind:16} {keras_ops.get(kind, 0.0) * 1e3:10.2f} {timm_ops.get(kind, 0.0) * 1e3:10.2f}")
    print(f"{'total':16} {sum(keras_ops.values()) * 1e3:10.2f} {sum(timm_ops.values()) * 1e3:10.2f}")
    top = ", ".join(f"{op} {t / FLAGS.steps * 1e3:.2f}" for op, t in keras_others.most_common(6))
    print(f"keras_mlp's largest 'other' ops (ms per step): {top or 'none'}")


def interleaved_medians(paths, repeats=5):
    for step in paths.values():
        step()
        step()
    seconds = collections.defaultdict(list)
    for _ in range(repeats):
        for name, step in paths.items():
            start = time.perf_counter()
            for _ in range(FLAGS.steps):
                step()
            seconds[name].append((time.perf_counter() - start) / FLAGS.steps)
    return {name: float(np.median(s)) for name, s in seconds.items()}


def matmul_rates(model, backend):
    """MAC/s of keras (this backend, compiled as inference_function is) and
    torch on the model's largest matmul (by multiply-accumulates) alone."""

    def shape(layer):
        leading = layer.get_build_config()["input_shape"][:-1]
        rows = int(np.prod([d for d in leading if d])) * FLAGS.batch_size
        return rows, *layer.kernel.shape

    rows, k, n = max(
        (shape(layer) for layer in model._flatten_layers()
         if isinstance(layer, keras.layers.Dense) and layer.built),
        key=np.prod,
    )
    a = np.random.default_rng(0).normal(size=(rows, k)).astype("float32")
    b = np.random.default_rng(1).normal(size=(k, n)).astype("float32")
    if backend == "jax":
        import jax

        f = jax.jit(lambda a, b: a @ b)
        keras_step = lambda: f(a, b).block_until_ready()  # noqa: E731
    else:
        import tensorflow as tf

        f = tf.function(lambda a, b: tf.matmul(a, b))
        keras_step = lambda: f(a, b).numpy()  # noqa: E731
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    walls = interleaved_medians({"keras": keras_step, "torch": lambda: ta @ tb})
    return {name: rows * k * n / seconds for name, seconds in walls.items()}


def profile_keras(backend, step):
    """Seconds per step per op kind, from the backend's profiler trace."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as folder:
        if backend == "jax":
            import jax

            jax.profiler.start_trace(folder)
        else:
            import tensorflow as tf

            tf.profiler.experimental.start(folder)
        for _ in range(FLAGS.steps):
            step()
        if backend == "jax":
            jax.profiler.stop_trace()
        else:
            tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
            space.ParseFromString(f.read())
    totals, others = collections.Counter(), collections.Counter()
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            # Op events: TensorFlow's executor names them "node:OpType"; XLA's
            # CPU runtime runs on its client's threads, one event per HLO
            # (its "ThunkExecutor::..." events contain them).
            xla = line.name.startswith("tf_XLA")
            for event in line.events:
                name = names[event.metadata_id]
                if xla and "::" not in name and not name.startswith(("end:", "Threadpool")):
                    op = name
                elif not xla and ":" in name and "::" not in name and not name.startswith(("$", "Eager")):
                    op = name.rsplit(":", 1)[1]
                    if op in ("ReadVariableOp", "_Arg", "_Retval", "NoOp", "Const", "Identity"):
                        continue
                else:
                    continue
                totals[kind_of(op)] += event.duration_ps / 1e12
                if kind_of(op) == "other":
                    others[op] += event.duration_ps / 1e12
    return {kind: total / FLAGS.steps for kind, total in totals.items()}, others


def profile_timm(step):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        for _ in range(FLAGS.steps):
            step()
    totals = collections.Counter()
    for event in profiler.key_averages():
        if event.key.startswith("aten::"):
            totals[kind_of(event.key)] += event.self_cpu_time_total / 1e6
    return {kind: total / FLAGS.steps for kind, total in totals.items()}


if __name__ == "__main__":
    app.run(main)
