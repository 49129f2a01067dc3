"""Learning-rate schedule: linear warm-up, then cosine or linear decay."""

import keras
from keras import ops

_TRACED_RATES = "keras_mlp.WarmupDecay.traced_rates"


@keras.saving.register_keras_serializable(package="keras_mlp")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `peak` over `warmup_steps`, then decay to 0.

    Args:
        peak: the learning rate at the end of warm-up.
        total_steps: length of the whole schedule.
        warmup_steps: length of the warm-up.
        decay: `"cosine"` or `"linear"`.

    Example:

    >>> schedule = WarmupDecay(1e-3, total_steps=100, warmup_steps=10)
    >>> round(float(schedule(10)), 6)
    0.001
    """

    def __init__(self, peak, total_steps, warmup_steps=0, decay="cosine"):
        if decay not in ("cosine", "linear"):
            raise ValueError(f"`decay` must be 'cosine' or 'linear'. Received: decay={decay!r}")
        if total_steps <= warmup_steps:
            raise ValueError(
                "`total_steps` must exceed `warmup_steps`. Received: "
                f"total_steps={total_steps}, warmup_steps={warmup_steps}"
            )
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.decay = decay

    def __call__(self, step):
        graph = _traced_graph()
        if graph is None:
            return self._rate(step)
        # Keras' TensorFlow optimizer asks for the rate once per variable as it
        # traces weight decay: 200 copies of this graph for CycleMLP-B1 were a
        # quarter of its train step's tracing (5 of 20 s). One copy per traced
        # graph serves them all; the collection lives and dies with the graph.
        for schedule, traced_step, rate in graph.get_collection(_TRACED_RATES):
            if schedule is self and traced_step is step:
                return rate
        rate = self._rate(step)
        graph.add_to_collection(_TRACED_RATES, (self, step, rate))
        return rate

    def _rate(self, step):
        step = ops.cast(step, "float32")
        warmup = self.peak * step / max(self.warmup_steps, 1)
        progress = ops.clip(
            (step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0
        )
        if self.decay == "cosine":
            decayed = 0.5 * self.peak * (1.0 + ops.cos(3.141592653589793 * progress))
        else:
            decayed = self.peak * (1.0 - progress)
        return ops.where(step < self.warmup_steps, warmup, decayed)

    def get_config(self):
        return {
            "peak": self.peak,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "decay": self.decay,
        }


def _traced_graph():
    """The TensorFlow graph being traced; `None` when eager or on another backend."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()
