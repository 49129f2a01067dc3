"""One constructor contract for every family, and the factory that writes it.

Every public constructor (`MixerB16`, `RepMLPNetT224`, ...) and every generic
builder (`MLPMixer`, `RepMLPNet`, ...) takes the `keras.applications`
arguments, `drop_path_rate` and `features_only` (the `CONTRACT`), then its
family's own extras. The contract is written here once, as the `Constructor`
signature that static tools read; a family module declares a `Family` (its
builder, extras and docstring) and calls `constructor` / `generic_builder`
for its public names, which stay plain module-level assignments that grep and
IDEs find. `inspect.signature` and `help()` show the full explicit signature,
extras and family defaults (RepMLP CIFAR's `classes=10`) included.

The builder receives the contract as one `Args` value and the architecture
and extras as keywords, so it never retypes the contract either.
"""

import dataclasses
import inspect
import textwrap
import typing

import keras

from keras_mlp import validation
from keras_mlp.models.registry import register_model
from keras_mlp.weights.registry import list_pretrained, register_pretrained

POOLING_CHOICES = (None, "avg", "max")


class Constructor(typing.Protocol):
    """The signature of every registered constructor: the contract, then the
    family's own keyword-only extras.

    This is where the contract is written: `CONTRACT` and `Args` are read from
    it, and `constructor` is annotated with it, so static tools (IDEs, jedi,
    pyright) complete `keras_mlp.MixerB16(` with these arguments although the
    constructors are made at import time.
    """

    def __call__(
        self,
        include_top: bool = True,
        weights: str | None = None,
        input_tensor: keras.KerasTensor | None = None,
        input_shape: tuple[int, int, int] | None = None,
        pooling: str | None = None,
        classes: int = 1000,
        classifier_activation: str | None = "softmax",
        drop_path_rate: float = 0.0,
        features_only: bool = False,
        name: str | None = None,
        **extras,
    ) -> keras.Model: ...


CONTRACT = tuple(
    (p.name, p.default)
    for p in inspect.signature(Constructor.__call__).parameters.values()
    if p.name != "self" and p.kind is not inspect.Parameter.VAR_KEYWORD
)


def _check_contract(args):
    validation.one_of("pooling", args.pooling, POOLING_CHOICES)
    validation.rate("drop_path_rate", args.drop_path_rate)
    if args.include_top:
        validation.positive_int("classes", args.classes)
        keras.activations.get(args.classifier_activation)
    if args.features_only and args.include_top:
        raise ValueError(
            "`features_only=True` returns the feature maps and has no "
            "classifier: pass `include_top=False`."
        )


Args = dataclasses.make_dataclass(
    "Args",
    [(name, object, dataclasses.field(default=default)) for name, default in CONTRACT],
    frozen=True,
    namespace=dict(
        __post_init__=_check_contract,
        __module__=__name__,
        __doc__="The contract arguments of one constructor call (`Constructor`), checked.",
    ),
)

# The contract's part of every constructor docstring. A family overrides an
# entry in `Family.arg_docs` where it has more to say; `{...}` fields come
# from the values each constructor is documented with.
CONTRACT_DOCS = {
    "include_top": "whether to include the classifier (and the final norm and pooling only it uses).",
    "weights": (
        "`None` (random initialisation), a pretrained tag ({tags}), or the "
        "path of a checkpoint: {formats}a keras_mlp `.weights.h5` or a saved "
        "`.keras` model."
    ),
    "input_tensor": "optional Keras tensor to use as the image input.",
    "input_shape": "optional `(height, width, 3)`; defaults to `({default_size}, {default_size}, 3)`.",
    "pooling": (
        "with `include_top=False`: `None` returns the final `(batch, rows, "
        "cols, channels)` features, `\"avg\"`/`\"max\"` pool them."
    ),
    "classes": (
        "number of classes of the head. A pretrained head of another size "
        "is skipped (with a warning), ready for fine-tuning."
    ),
    "classifier_activation": "activation of the head; `None` returns logits.",
    "drop_path_rate": "stochastic depth rate of the residual branches; 0 keeps the official model.",
    "features_only": (
        "return a dict `{{block name: output}}` of the feature points, "
        "{feature_points}; needs `include_top=False`."
    ),
    "name": "the Keras model's name; default the registered name.",
}


# What every constructor docstring ends with, after the family's description.
_DOCSTRING_TAIL = """

{args}

Returns:
    A `keras.Model`.

Example:

```python
{example}
```
"""
_FINE_TUNING_EXAMPLE = """\
model = keras_mlp.{constructor}(weights=None, classes=10, input_shape=(64, 64, 3))
model.compile("adamw", "sparse_categorical_crossentropy", metrics=["accuracy"])"""


@dataclasses.dataclass(frozen=True)
class TimmArchitecture:
    """The keras_mlp model that computes what a timm architecture computes.

    Attributes:
        model: registered keras_mlp model name.
        global_pool: how timm's model pools before its head; a repository
            that records another pooling is a different model.
        arguments: constructor arguments that make the outputs match
            timm's, beyond classes and input shape.
    """

    model: str
    global_pool: str
    arguments: dict = dataclasses.field(default_factory=dict)


# `(family, [model names])` in registration order: what `constructor` was
# called with. Families are compared by identity (two may hold equal fields).
_FAMILIES = []


def families():
    """Every `Family` with registered constructors, in registration order."""
    return [family for family, _ in _FAMILIES]


def family_models(family):
    """The registered model names of `family`, in registration order."""
    for registered, names in _FAMILIES:
        if registered is family:
            return list(names)
    raise ValueError(f"{family} has no registered constructor.")


def _register(family, model_name):
    for registered, names in _FAMILIES:
        if registered is family:
            names.append(model_name)
            break
    else:
        _FAMILIES.append((family, [model_name]))
    register_pretrained(record for record in family.pretrained if record.model == model_name)


@dataclasses.dataclass(frozen=True)
class Family:
    """What a family module gives the factory.

    Attributes:
        build: `build(args, *, model_name, **architecture, **extras)` that
            returns the `keras.Model`; `args` is an `Args`.
        extras: `((name, default), ...)`: the family's own arguments, after
            the contract in every signature.
        docstring: template of what the constructors' docstrings say
            before their `Args:`; `format`ted with `title`, `constructor`,
            `model_name` and the `doc` values given to `constructor`.
        example: the code of the docstrings' `Example:` section, formatted
            the same way; the default builds a model to fine-tune.
        arg_docs: `{argument: text}` for the extras and for contract
            arguments whose `CONTRACT_DOCS` text the family replaces; the
            texts are `format`ted with the same values.
        defaults: contract defaults that differ for this family (e.g. a
            CIFAR model's `classes=10`).
        configs: `{model name: architecture}`: the keyword arguments
            `build` gets for each registered configuration.
        doc_values: values every constructor docstring is formatted with;
            a configuration's own architecture values (its `patch_size`,
            ...) take precedence, and `constructor`'s `doc` over both.

    What the rest of keras_mlp and its tests read from the declaration
    (`families()`), so that no list elsewhere names the family:

        representative: the family's smallest registered model, which the
            default test suite's conformance checks build (`-m slow` builds
            every name).
        pretrained: the family's `PretrainedWeights` records; each is
            registered (`list_pretrained`, `weights="model.tag"`) with the
            constructor of its model.
        timm_architectures: `{timm architecture: TimmArchitecture}` of the
            timm models a Hub `config.json` may name for this family.
        reference_gmacs: `{model name: multiply-adds in billions}` at the
            default input size, as the family's paper reports them;
            `count_macs` is tested against them.
        page: the family's docs page, whose commands and marked Python
            blocks `tests/test_family_pages.py` runs.
        any_input_size: whether every weight is per channel, so that one
            model takes images of any size (`input_shape` with `None`
            height and width); the error of a grid-bound model asked for
            that names these families.
        name: the family's name as its paper writes it (`"CycleMLP"`),
            where a message lists families.
    """

    build: object
    extras: tuple = ()
    docstring: str = ""
    example: str = _FINE_TUNING_EXAMPLE
    arg_docs: dict = dataclasses.field(default_factory=dict)
    defaults: dict = dataclasses.field(default_factory=dict)
    configs: dict = dataclasses.field(default_factory=dict)
    doc_values: dict = dataclasses.field(default_factory=dict)
    representative: str | None = None
    pretrained: tuple = ()
    timm_architectures: dict = dataclasses.field(default_factory=dict)
    reference_gmacs: dict = dataclasses.field(default_factory=dict)
    page: str | None = None
    any_input_size: bool = False
    name: str | None = None

    def document(self, signature, **values):
        """The docstring of a constructor with `signature`."""
        lines = ["Args:"]
        for name in signature.parameters:
            text = self.arg_docs.get(name, CONTRACT_DOCS.get(name))
            if text is None:
                raise ValueError(f"Argument {name!r} has no documentation: add it to `arg_docs`.")
            lines += textwrap.wrap(
                f"{name}: {text.format(**values)}",
                width=78,
                initial_indent="    ",
                subsequent_indent="        ",
                break_on_hyphens=False,
            )
        template = self.docstring.rstrip("\n") + _DOCSTRING_TAIL
        return template.format(args="\n".join(lines), example=self.example.format(**values), **values)


def _parameters(names_and_defaults, kind=inspect.Parameter.KEYWORD_ONLY):
    return [inspect.Parameter(name, kind, default=default) for name, default in names_and_defaults]


def _contract_parameters(family, kind):
    return _parameters([(n, family.defaults.get(n, d)) for n, d in CONTRACT], kind)


def _bind(signature, args, kwargs, architecture_names=()):
    """`(Args, architecture, extras)` of one call, or Python's `TypeError`."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    values = dict(bound.arguments)
    architecture = {name: values.pop(name) for name in architecture_names}
    contract = Args(**{name: values.pop(name) for name, _ in CONTRACT})
    return contract, architecture, values


def constructor(family, model_name, public_name, title, architecture=None, **doc) -> Constructor:
    """The registered public constructor `public_name` of one configuration.

    Args:
        family: the `Family`; its `build`'s module is the constructor's
            (for `help()` and pickling).
        model_name: registry name (`keras_mlp.create_model(model_name)`).
        public_name: the function's `__name__` (`"MixerB16"`).
        title: human name for the docstring (`"Mixer-B/16"`).
        architecture: the configuration's keyword arguments for `build`;
            default `family.configs[model_name]`.
        **doc: extra values for the docstring template.
    """
    if architecture is None:
        architecture = family.configs[model_name]
    signature = inspect.Signature(
        _contract_parameters(family, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        + _parameters(family.extras)
    )

    def construct(*args, **kwargs):
        contract, _, extras = _bind(signature, args, kwargs)
        return family.build(contract, model_name=model_name, **architecture, **extras)

    # Before the docstring, which names the model's pretrained tags.
    _register(family, model_name)
    construct.__signature__ = signature
    construct.__name__ = construct.__qualname__ = public_name
    construct.__module__ = family.build.__module__
    construct.__doc__ = family.document(
        signature,
        title=title,
        constructor=public_name,
        model_name=model_name,
        tags=", ".join(f'`"{tag}"`' for tag in pretrained_tags(model_name)) or "none published",
        **{**family.doc_values, **architecture, **doc},
    )
    return register_model(model_name)(construct)


def pretrained_tags(model_name):
    """The tags `weights=` takes for `model_name`, as its docstring names them."""
    return [name.partition(".")[2] for name in list_pretrained(model_name)]


_GENERIC_DOCSTRING = """Generic {title} builder; see `{see}` for the other arguments.

    {doc}

    Example:

    >>> model = {public_name}({example}, classes=5)
    >>> model.output_shape
    (None, 5)
    """


def generic_builder(
    family, public_name, doc, see, example, required=(), optional=(), title=None, model_name=None
):
    """The family's generic builder (`MLPMixer(patch_size=..., ...)`).

    Args:
        required: names of the architecture arguments without a default,
            which come first.
        optional: `((name, default), ...)` of the architecture arguments
            with a default.
        doc: what its docstring says of the architecture arguments.
        see: the constructor whose docstring explains the other arguments.
        example: the arguments of the docstring's example call, which
            builds a 5-class model.
        title: the family's name in the docstring; default `public_name`.
        model_name: the `model_name` its models get; default the
            lower-case `public_name`.
    """
    model_name = model_name or public_name.lower()
    architecture = [(name, inspect.Parameter.empty) for name in required] + list(optional)
    signature = inspect.Signature(
        _parameters(architecture, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        + _contract_parameters(family, inspect.Parameter.KEYWORD_ONLY)
        + _parameters(family.extras)
    )
    architecture_names = [name for name, _ in architecture]

    def build(*args, **kwargs):
        contract, arch, extras = _bind(signature, args, kwargs, architecture_names)
        return family.build(contract, model_name=model_name, **arch, **extras)

    build.__signature__ = signature
    build.__name__ = build.__qualname__ = public_name
    build.__module__ = family.build.__module__
    build.__doc__ = _GENERIC_DOCSTRING.format(
        title=title or public_name, public_name=public_name, see=see, doc=doc.strip(), example=example
    )
    return build
