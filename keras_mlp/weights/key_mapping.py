"""Maps checkpoint keys to Keras variable paths and assigns them all-or-nothing.

A checkpoint layout is one `KeyMap`: a table of
`(source-key regex, Keras variable path template, transform)` rows. Loading
first converts and checks every array, and only then assigns, so a
checkpoint that does not fit leaves the model untouched and produces one
error that lists everything that does not match.
"""

import dataclasses
import re
import warnings

import numpy as np

from keras_mlp.weights.checkpoint_io import CheckpointError, HeadNotLoadedWarning


def transpose(array):
    """PyTorch `Linear` (out, in) -> Keras `Dense` (in, out)."""
    return np.transpose(array)


def conv_to_hwio(array):
    """PyTorch `Conv2d` (out, in, h, w) -> Keras `Conv2D` (h, w, in, out)."""
    return np.transpose(array, (2, 3, 1, 0))


def weight_and_bias(source, target, transform):
    """The rows of a PyTorch layer with `.weight` and `.bias` (a `Linear` or a
    conv) under the regex `source`: its weight onto the Keras layer
    `target`'s `kernel`, converted by `transform`, its bias onto `bias`."""
    return (
        (rf"{source}\.weight", f"{target}/kernel", transform),
        (rf"{source}\.bias", f"{target}/bias", None),
    )


def norm(source, target):
    """The rows of a PyTorch LayerNorm or GroupNorm under the regex `source`:
    its `.weight` and `.bias` onto the Keras layer `target`'s `gamma` and `beta`."""
    return (
        (rf"{source}\.weight", f"{target}/gamma", None),
        (rf"{source}\.bias", f"{target}/beta", None),
    )


def batch_norm(source, target):
    """`norm`'s rows plus a BatchNorm's running statistics onto `moving_mean`
    and `moving_variance`."""
    return norm(source, target) + (
        (rf"{source}\.running_mean", f"{target}/moving_mean", None),
        (rf"{source}\.running_var", f"{target}/moving_variance", None),
    )


@dataclasses.dataclass(frozen=True)
class KeyMap:
    """One checkpoint layout.

    Attributes:
        name: human-readable layout name, used in error messages.
        rules: `(pattern, template, transform)` rows. `pattern` is a regex
            that must match the whole source key; `template` is the Keras
            variable path, with `\\1`-style back-references; `transform`
            (or `None`) converts the array's layout.
        ignore: regexes of source keys that carry no model weights.
        prepare: optional `fn(state) -> state` run before the rules, for
            layouts that split one model variable over several arrays
            (timm's `checkpoint_filter_fn` plays this part). It must leave
            keys it cannot handle in place, so they get reported.
    """

    name: str
    rules: tuple
    ignore: tuple = ()
    prepare: object = None

    def target(self, key):
        """`(Keras variable path, transform)` of a source key, or `(None, None)`."""
        for pattern, template, fn in self.rules:
            match = re.fullmatch(pattern, key)
            if match:
                return match.expand(template), fn
        return None, None

    def coverage(self, keys):
        """How many of `keys` this layout knows."""
        return sum(self.target(key)[0] is not None for key in keys)

    def convert(self, state):
        """Returns `({keras_path: array}, [unknown source keys])`."""
        if self.prepare:
            state = self.prepare(state)
        converted, unknown = {}, []
        for key, array in state.items():
            if any(re.fullmatch(p, key) for p in self.ignore):
                continue
            target, fn = self.target(key)
            if target is None:
                unknown.append(key)
            else:
                converted[target] = fn(array) if fn else array
        return converted, unknown


def pick_key_map(state, key_maps, source):
    """The layout in `key_maps` that knows most keys of `state`."""
    best = max(key_maps, key=lambda km: km.coverage(state))
    if best.coverage(state) == 0:
        sample = ", ".join(sorted(state)[:5])
        names = ", ".join(km.name for km in key_maps)
        raise CheckpointError(
            f"{source} is not a checkpoint of this architecture: none of its "
            f"keys (e.g. {sample}) belongs to a known layout ({names})."
        )
    return best


def assign_weights(model, weights, source, head_prefix=None, adapt=None, hint=""):
    """Assigns `{keras_path: array}` to `model`'s variables, all or nothing.

    Args:
        model: the Keras model.
        weights: converted weights, keyed by `Variable.path`.
        source: description of the checkpoint, for messages.
        head_prefix: path prefix (or tuple of prefixes) of the classifier
            head. Head weights that the model lacks (`include_top=False`)
            or whose shape differs (other `classes`) are skipped with a warning instead of an error: that
            is how a pretrained backbone is fine-tuned on new classes.
        adapt: optional `fn(path, array, target_shape) -> array or None`
            that resizes an array whose shape differs (e.g. another input
            resolution); `None` means it cannot.
        hint: a line added to the error, e.g. what the family's
            checkpoints commonly get wrong.
    """
    variables = {v.path: v for v in model.weights}

    def is_head(path):
        return head_prefix is not None and path.startswith(head_prefix)

    unexpected, mismatched, ready = [], [], {}
    for path, array in weights.items():
        variable = variables.get(path)
        if variable is None:
            if not is_head(path):
                unexpected.append(path)
            continue
        target = tuple(variable.shape)
        if tuple(array.shape) != target:
            array = adapt(path, array, target) if adapt else None
            if array is None:
                if not is_head(path):
                    mismatched.append(
                        f"{path}: checkpoint {weights[path].shape}, model {target}"
                    )
                continue
        ready[path] = array
    missing = sorted(p for p in variables if p not in weights and not is_head(p))
    problems = []
    if missing:
        problems.append(_listing("missing from the checkpoint", missing))
    if unexpected:
        problems.append(_listing("in the checkpoint but not in the model", unexpected))
    if mismatched:
        problems.append(_listing("with different shapes", mismatched))
    if problems:
        raise CheckpointError(
            f"{source} does not fit model {model.name!r}; nothing was loaded.\n"
            + "\n".join(problems)
            + "\nCheck that the checkpoint is for this architecture and size."
            + (f" {hint}" if hint else "")
        )
    if any(is_head(p) and p not in ready for p in variables):
        warnings.warn(
            f"{source}: the classifier head was not loaded (the checkpoint "
            "has no head of the model's `classes`); it keeps its initial "
            "weights, ready for fine-tuning.",
            HeadNotLoadedWarning,
            stacklevel=3,
        )
    for path, array in ready.items():
        variables[path].assign(np.asarray(array, dtype=variables[path].dtype))


def _listing(what, items, limit=20):
    lines = [f"  {len(items)} weight(s) {what}:"]
    lines += [f"    {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"    ... and {len(items) - limit} more")
    return "\n".join(lines)
