"""The constructor contract as static tools see it."""

import ast
import inspect
import os

import jedi
from absl.testing import parameterized

import keras_mlp
from keras_mlp.models.factory import CONTRACT
from tests.testing import TestCase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _static_signature(public_name):
    """What jedi (an IDE's completion engine) shows for `keras_mlp.<name>(`,
    read from the source alone: nothing is imported."""
    source = f"import keras_mlp\nkeras_mlp.{public_name}("
    script = jedi.Script(source, path=os.path.join(ROOT, "completion.py"), project=jedi.Project(ROOT))
    signatures = script.get_signatures(2, len(source.splitlines()[-1]))
    # A parameter's description reads "param name: annotation=default".
    return [
        (p.name, ast.literal_eval(p.description.rpartition("=")[2]) if "=" in p.description else None)
        for s in signatures
        for p in s.params
    ]


class StaticSignatureTest(TestCase, parameterized.TestCase):
    # One constructor of each way families write them (a helper per family,
    # a direct `factory.constructor` call).
    @parameterized.parameters("MixerB16", "FeedForwardTiny", "RepMLPNetT224", "RepMLPRes50Light224")
    def test_ide_completion_shows_the_contract(self, public_name):
        params = _static_signature(public_name)
        names = [name for name, _ in params]
        self.assertEqual(names[: len(CONTRACT)], [name for name, _ in CONTRACT])
        static_defaults = dict(params)
        for name, default in CONTRACT:
            self.assertEqual(static_defaults[name], default, name)

    def test_contract_is_the_runtime_signature(self):
        runtime = inspect.signature(keras_mlp.MixerB16).parameters
        self.assertEqual(
            [(p.name, p.default) for p in list(runtime.values())[: len(CONTRACT)]], list(CONTRACT)
        )

    def test_contract_is_checked(self):
        with self.assertRaisesRegex(ValueError, "pooling"):
            keras_mlp.MixerT4(include_top=False, pooling="mean")
        with self.assertRaisesRegex(ValueError, "include_top=False"):
            keras_mlp.MixerT4(features_only=True)


if __name__ == "__main__":
    import tensorflow as tf

    tf.test.main()
