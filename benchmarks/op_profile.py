"""Where one step's time goes: keras_mlp beside timm eager, per kind of op.

For one model and batch size on this process's Keras backend (`KERAS_BACKEND`),
and a step of inference or (`--mode=training`) of training, prints, in ms per step:

- the wall time of `keras_mlp.inference_function(model)` (the path users call),
  of Keras' `model.predict_on_batch` and of timm's eager model; in training,
  of `model.train_on_batch` (the step `model.fit` runs: forward, loss,
  gradients, AdamW update) and of timm's eager loop (forward, loss,
  backward, `torch.optim.AdamW` step);
- the limit of the two profiled paths: their matmul kernels' time alone
  (and the rate it is, from `keras_mlp.count_macs`), and the rest of the step;
- the profiled op time of each, summed per kind (matmul, convolution,
  transpose/copy, norm, GELU, element-wise, other): the backend's profiler
  for keras_mlp (TensorFlow: the graph's ops, or with XLA, as `auto` uses
  for single images on a CPU, the HLO ops of the compiled cluster; JAX: the
  XLA program's), `torch.profiler` for timm. An XLA program's fusions are
  named by XLA after their ops (`add_rsqrt_fusion`: a norm); what the
  profile does not cover is per-call overhead (Python, dispatch, thread
  hand-offs). The optimizer's ops are their own kind where the profile
  tells them apart: TensorFlow's (the graph nodes under the optimizer's
  name scope) and torch's (the ops inside `optimizer.step()`); an XLA
  program fuses the update into element-wise fusions.

    python benchmarks/op_profile.py --model=mixer_s16 --batch_size=1
    KERAS_BACKEND=jax python benchmarks/op_profile.py --model=resmlp_s12 --batch_size=1
    python benchmarks/op_profile.py --model=mixer_s16 --batch_size=32 --mode=training
    KERAS_BACKEND=jax python benchmarks/op_profile.py --model=mixer_s16 --batch_size=32 --mode=training
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
flags.DEFINE_enum("mode", "inference", ["inference", "training"],
                  "What a step is: the forward pass, or a training step with AdamW.")
flags.DEFINE_integer("image_size", None, "Input height and width; default: the model's.")
flags.DEFINE_integer("steps", 20, "Timed (and profiled) steps.")
flags.DEFINE_enum("jit_compile", "auto", ["auto", "true", "false"],
                  "`jit_compile` of keras_mlp.inference_function, or in training of "
                  "model.compile (`auto` there: XLA on JAX, not on TensorFlow CPUs).")
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


def kind_of(name, scope=""):
    """The kind of op `name`; `scope`, where the op ran (a TensorFlow node's
    name, a torch op's enclosing call), tells the optimizer's ops from the
    model's (both are Mul, Sqrt, ...)."""
    if scope.lower().startswith(OPTIMIZER_SCOPES):
        return "optimizer"
    name = name.lower()
    return next((kind for kind, keys in KINDS if any(k in name for k in keys)), "other")


# Where the optimizers' ops run: Keras' AdamW graph ops on TensorFlow (its
# name scope), torch's inside `Optimizer.step#AdamW.step`.
OPTIMIZER_SCOPES = ("adam_w/", "adamw/", "optimizer.step")
PRINTED_KINDS = ["optimizer"] + [kind for kind, _ in KINDS] + ["other"]


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
    jit_compile = {"auto": "auto", "true": True, "false": False}[FLAGS.jit_compile]
    timm_name = next(arch for arch, known in timm_architectures().items() if known.model == FLAGS.model)
    reference = timm.create_model(timm_name, pretrained=False, img_size=size)
    if FLAGS.mode == "training":
        labels = np.random.default_rng(1).integers(0, model.output_shape[-1], FLAGS.batch_size)
        paths = training_steps(model, reference, images, labels, jit_compile)
    else:
        paths = inference_steps(model, reference, images, jit_compile)
    profiled = next(iter(paths))
    walls = interleaved_medians(paths)
    # A training step runs the forward pass and twice its MACs backward.
    macs = keras_mlp.count_macs(model) * FLAGS.batch_size * (3 if FLAGS.mode == "training" else 1)
    keras_ops, keras_others = profile_keras(backend, paths[profiled])
    timm_ops = profile_timm(paths["timm eager"])

    print(f"{FLAGS.model} | {FLAGS.mode} | batch {FLAGS.batch_size} | {size}x{size} | float32 | "
          f"backend {backend}, jit_compile={jit_compile!r} | {threads} threads | {macs / 1e9:.2f} GMAC/step | "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    # The limit is the profiled time of the matmul kernels alone: what a
    # step would take if everything around them (norms, activations,
    # dispatch, thread hand-offs) cost nothing.
    print(f"{'ms per step':40} {'wall':>8} {'matmul':>8} {'rest':>8} {'matmul GMAC/s':>14}")
    for path, seconds in walls.items():
        ops = {profiled: keras_ops, "timm eager": timm_ops}.get(path)
        if ops is None:  # not profiled: its wall time against the profiled path's
            print(f"{path:40} {seconds * 1e3:8.2f}")
            continue
        matmul = ops.get("matmul", 0.0)
        rate = f"{macs / matmul / 1e9:14.0f}" if matmul else f"{'-':>14}"
        print(f"{path:40} {seconds * 1e3:8.2f} {matmul * 1e3:8.2f} {(seconds - matmul) * 1e3:8.2f} {rate}")
    print(f"\nprofiled op time, ms per step (mean of {FLAGS.steps} steps)")
    print(f"{'kind':16} {'keras_mlp':>10} {'timm':>10}")
    for kind in PRINTED_KINDS:
        print(f"{kind:16} {keras_ops.get(kind, 0.0) * 1e3:10.2f} {timm_ops.get(kind, 0.0) * 1e3:10.2f}")
    print(f"{'total':16} {sum(keras_ops.values()) * 1e3:10.2f} {sum(timm_ops.values()) * 1e3:10.2f}")
    top = ", ".join(f"{op} {t / FLAGS.steps * 1e3:.2f}" for op, t in keras_others.most_common(6))
    print(f"keras_mlp's largest 'other' ops (ms per step): {top or 'none'}")


def inference_steps(model, reference, images, jit_compile):
    """`{path: step}`, the profiled keras_mlp path first."""
    x = keras.ops.convert_to_tensor(images)
    forward = keras_mlp.inference_function(model, jit_compile=jit_compile)
    reference.eval()
    x_torch = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())

    def timm_step():
        with torch.inference_mode():
            reference(x_torch)

    return {
        "keras_mlp.inference_function": lambda: keras.ops.convert_to_numpy(forward(x)),
        "model.predict_on_batch": lambda: model.predict_on_batch(x),
        "timm eager": timm_step,
    }


def training_steps(model, reference, images, labels, jit_compile):
    """`{path: step}` of a training step, the same optimizer and loss on both sides."""
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    reference.train()
    optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_torch = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    y_torch = torch.from_numpy(labels)

    def timm_step():
        optimizer.zero_grad(set_to_none=True)
        loss_fn(reference(x_torch), y_torch).backward()
        optimizer.step()

    # train_on_batch returns the logs as NumPy: a step has ended when it returns.
    return {
        f"model.train_on_batch (jit_compile={model.jit_compile})": lambda: model.train_on_batch(images, labels),
        "timm eager": timm_step,
    }


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
    for op, scope, seconds in op_events(space):
        kind = kind_of(op, scope)
        totals[kind] += seconds
        if kind == "other":
            others[op] += seconds
    return {kind: total / FLAGS.steps for kind, total in totals.items()}, others


# Runtime events that wrap or wait for ops rather than compute: function
# calls, Python and eager dispatch, thread-pool markers, XLA's executable.
WRAPPERS = ("$", "Eager", "TFE_", "end:", "Memory", "BlockUntilReady", "ValidateInput", "<lambda>")
WRAPPER_OPS = ("_Arg", "_Retval", "NoOp", "Const", "Identity", "ReadVariableOp",
               "PartitionedCall", "StatefulPartitionedCall", "_XlaRun", "_XlaCompile")


def op_events(space):
    """`(op, scope, seconds)` for every op a TensorFlow or JAX profile ran.

    TensorFlow's executor names an op's event `node:OpType` (`scope` is the
    node's name; empty for XLA); XLA's CPU
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
                scope, _, op = name.rpartition(":")
                if op in WRAPPER_OPS or op.startswith("__inference_"):
                    continue
                ops.append((event.offset_ps, event.offset_ps + event.duration_ps, op, scope))
            ops.sort()
            for i, (start, end, op, scope) in enumerate(ops):
                if i + 1 < len(ops) and ops[i + 1][0] < end:
                    continue
                yield op, scope, (end - start) / 1e12


def profile_timm(step):
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        for _ in range(FLAGS.steps):
            step()
    totals = collections.Counter()
    for event in profiler.events():
        if event.name.startswith("aten::"):
            totals[kind_of(event.name, outermost_call(event))] += event.self_cpu_time_total / 1e6
    return {kind: total / FLAGS.steps for kind, total in totals.items()}


def outermost_call(event):
    """The name of the outermost event around a torch op (`Optimizer.step#AdamW.step`
    for the optimizer's)."""
    while event.cpu_parent is not None:
        event = event.cpu_parent
    return event.name


if __name__ == "__main__":
    app.run(main)
