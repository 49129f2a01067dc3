"""The flags of `RunOptions`, which every training script takes, and a
script's config read from its flags."""

import dataclasses
import inspect
import sys

from absl import flags

from keras_mlp.training.run_session import RunOptions

_DEFAULTS = RunOptions()


def define_run_flags(default_model_dir, training_data="the training split"):
    """Defines `--model_dir`, `--resume`, `--restart`, `--seed` and `--steps_per_epoch`.

    Args:
        default_model_dir: how the script names a run directory, for the
            help of `--model_dir`.
        training_data: what one epoch passes over, for the help of
            `--steps_per_epoch`.
    """
    # absl's short help lists the flags of the script's own module: these are
    # registered as the caller's, under the name absl gives it (a script run
    # as __main__ is known by its path), as its own DEFINE calls would be.
    caller = inspect.currentframe().f_back.f_globals["__name__"]
    script = dict(module_name=sys.argv[0] if caller == "__main__" else caller)
    flags.DEFINE_string(
        "model_dir", None,
        f"Run directory; default {default_model_dir}, so the same command finds the same directory.",
        **script,
    )
    flags.DEFINE_bool(
        "resume", _DEFAULTS.resume,
        "Continue an unfinished run found in --model_dir (rerunning an interrupted "
        "command resumes it); --noresume refuses to touch such a directory.",
        **script,
    )
    flags.DEFINE_bool(
        "restart", _DEFAULTS.restart,
        "Start over even if --model_dir holds a run (finished or not); the old run is "
        "kept, renamed to <model_dir>.replaced-<time>.",
        **script,
    )
    flags.DEFINE_integer(
        "seed", _DEFAULTS.seed, "Random seed of shuffling, augmentation and initialisation.", **script
    )
    flags.DEFINE_integer(
        "steps_per_epoch", None, f"Steps per epoch; default one pass over {training_data}.", **script
    )


def config_from_flags(config_class):
    """A `config_class` (a `RunOptions` dataclass) of the flags named as its fields."""
    # --verbose is the runtimes' logs (examples/runtime_logs.py), not the
    # config's `verbose` (Keras' progress bar).
    fields = {field.name for field in dataclasses.fields(config_class)} - {"verbose"}
    values = {name: flags.FLAGS[name].value for name in fields if name in flags.FLAGS}
    return config_class(**values)
