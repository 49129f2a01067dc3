"""Where one inference step's time goes: keras_mlp beside timm eager, per kind of op.

For one model and batch size on this process's Keras backend (`KERAS_BACKEND`),
prints, in ms per step:

- the wall time of `keras_mlp.inference_function(model)` (the path users call),
  of Keras' `model.predict_on_batch` and of timm's eager model;
- the limit of the two profiled paths: their matmul kernels' time alone
  (and the rate it is, from `keras_mlp.count_macs`), and the rest of the step;
- the profiled op time of each, summed per kind (matmul, convolution,
  transpose/copy, norm, GELU, element-wise, other): the backend's profiler
  for keras_mlp (TensorFlow: the graph's ops, or with XLA, as `auto` uses
  for single images on a CPU, the HLO ops of the compiled cluster; JAX: the
  XLA program's), `torch.profiler` for timm. An XLA program's fusions are
  named by XLA after their ops (`add_rsqrt_fusion`: a norm); what the
  profile does not cover is per-call overhead (Python, dispatch, thread
  hand-offs).

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
from keras_mlp.model_io.timm_config import timm_architectures  # noqa: E402

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "mixer_s16", "A keras_mlp model with a timm architecture "
                    "(keras_mlp.model_io.timm_config.timm_architectures()).")
flags.DEFINE_integer("batch_size", 1, "Images per step.")
flags.DEFINE_integer("image_size", None, "Input height and width; default: the model's.")
flags.DEFINE_integer("steps", 20, "Timed (and profiled) steps.")
flags.DEFINE_enum("jit_compile", "auto", ["auto", "true", "false"],
                  "`jit_compile` of keras_mlp.inference_function (`false` on TensorFlow: the graph "
                  "at every batch size).")
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
    keras_ops, keras_others = profile_keras(backend, paths["keras_mlp.inference_function"])
    timm_ops = profile_timm(timm_step)

    print(f"{FLAGS.model} | batch {FLAGS.batch_size} | {size}x{size} | float32 | backend {backend}, "
          f"jit_compile={jit_compile!r} | {threads} threads | {macs / 1e9:.2f} GMAC/step | "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    # The limit is the profiled time of the matmul kernels alone: what a
    # step would take if everything around them (norms, activations,
    # dispatch, thread hand-offs) cost nothing.
    print(f"{'ms per step':32} {'wall':>8} {'matmul':>8} {'rest':>8} {'matmul GMAC/s':>14}")
    for path, seconds in walls.items():
        ops = {"keras_mlp.inference_function": keras_ops, "timm eager": timm_ops}.get(path)
        if ops is None:  # not profiled: its wall time against the inference path's
            print(f"{path:32} {seconds * 1e3:8.2f}")
            continue
        matmul = ops.get("matmul", 0.0)
        rate = f"{macs / matmul / 1e9:14.0f}" if matmul else f"{'-':>14}"
        print(f"{path:32} {seconds * 1e3:8.2f} {matmul * 1e3:8.2f} {(seconds - matmul) * 1e3:8.2f} {rate}")
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
    for op, seconds in op_events(space):
        totals[kind_of(op)] += seconds
        if kind_of(op) == "other":
            others[op] += seconds
    return {kind: total / FLAGS.steps for kind, total in totals.items()}, others


# Runtime events that wrap or wait for ops rather than compute: function
# calls, Python and eager dispatch, thread-pool markers, XLA's executable.
WRAPPERS = ("$", "Eager", "TFE_", "end:", "Memory", "BlockUntilReady", "ValidateInput", "<lambda>")
WRAPPER_OPS = ("_Arg", "_Retval", "NoOp", "Const", "Identity", "ReadVariableOp",
               "PartitionedCall", "StatefulPartitionedCall", "_XlaRun", "_XlaCompile")


def op_events(space):
    """`(op, seconds)` for every op a TensorFlow or JAX profile ran.

    TensorFlow's executor names an op's event `node:OpType`; XLA's CPU
    runtime names it after the HLO (`dot.3`, `add_rsqrt_fusion.2`, or the
    TensorFlow op it came from, `MatMul.54`), on the caller's thread and on
    its pool's. Only leaves count: a function call's event contains the ops
    it ran on the same thread, and counting both would count them twice.
    """
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            ops = []
            for event in line.events:
                name = names[event.metadata_id]
                if "::" in name or name.startswith(WRAPPERS):
                    continue
                op = name.rsplit(":", 1)[1] if ":" in name else name
                if op in WRAPPER_OPS or op.startswith("__inference_"):
                    continue
                ops.append((event.offset_ps, event.offset_ps + event.duration_ps, op))
            ops.sort()
            for i, (start, end, op) in enumerate(ops):
                if i + 1 < len(ops) and ops[i + 1][0] < end:
                    continue
                yield op, (end - start) / 1e12


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
