import keras
import numpy as np
from absl.testing import parameterized

from keras_mlp.training import RECIPES, WarmupDecay, get_recipe, recipe_optimizer
from tests.testing import TestCase


class RecipesTest(TestCase, parameterized.TestCase):
    def test_paper_numbers(self):
        mixer = get_recipe("mixer_imagenet")
        self.assertEqual((mixer.optimizer, mixer.learning_rate, mixer.base_batch_size), ("adam", 1e-3, 4096))
        self.assertEqual((mixer.warmup_steps, mixer.decay, mixer.global_clipnorm), (10_000, "linear", 1.0))
        deit = get_recipe("deit")
        self.assertEqual((deit.augmentation.mixup_alpha, deit.augmentation.cutmix_alpha), (0.8, 1.0))
        self.assertEqual(deit.augmentation.random_erasing, 0.25)
        self.assertEqual(get_recipe("repmlpnet").epochs, 100)
        self.assertEqual(get_recipe("finetune").weight_decay, 0.0)

    def test_learning_rate_scales_with_batch(self):
        self.assertAlmostEqual(get_recipe("deit").scaled_learning_rate(1024), 1e-3)

    @parameterized.parameters(*sorted(RECIPES))
    def test_every_recipe_builds_its_optimizer(self, name):
        optimizer = recipe_optimizer(get_recipe(name), 64, total_steps=100, steps_per_epoch=10)
        self.assertIsInstance(optimizer, keras.optimizers.Optimizer)

    def test_unknown_recipe(self):
        with self.assertRaisesRegex(ValueError, "Available: .*deit"):
            get_recipe("sota")


class WarmupDecayTest(TestCase, parameterized.TestCase):
    @parameterized.parameters("cosine", "linear")
    def test_shape(self, decay):
        schedule = WarmupDecay(1.0, total_steps=110, warmup_steps=10, decay=decay)
        values = np.array([float(schedule(s)) for s in range(111)])
        self.assertAllClose(values[:11], np.linspace(0, 1, 11), atol=1e-6)
        self.assertTrue(np.all(np.diff(values[10:]) <= 1e-7))
        self.assertAllClose(values[-1], 0.0, atol=1e-6)
        self.assertAllClose(values[60], 0.5, atol=1e-6)

    def test_an_optimizers_trace_holds_one_copy_of_the_schedule(self):
        # Keras' TensorFlow optimizer asks for the rate once per variable for
        # weight decay; every copy would read the step and recompute it.
        import tensorflow as tf

        schedule = WarmupDecay(1.0, total_steps=110, warmup_steps=10)

        def optimizer_and_variables():
            variables = [keras.Variable(np.full((3,), i + 1.0, "float32")) for i in range(4)]
            optimizer = keras.optimizers.AdamW(schedule, weight_decay=0.5)
            optimizer.build(variables)
            return optimizer, variables

        traced, traced_variables = optimizer_and_variables()

        @tf.function
        def step():
            traced.apply_gradients([(tf.ones((3,)), v) for v in traced_variables])

        graph = step.get_concrete_function().graph
        # One `Cos`, the cosine decay's: one copy of the schedule in the graph.
        self.assertEqual([op.type for op in graph.get_operations()].count("Cos"), 1)
        # Eager steps compute the rate afresh for every variable: the same values.
        eager, eager_variables = optimizer_and_variables()
        for _ in range(12):
            step()
            eager.apply_gradients([(tf.ones((3,)), v) for v in eager_variables])
        self.assertEqual(int(traced.iterations), 12)
        for a, b in zip(traced_variables, eager_variables):
            self.assertAllClose(a.numpy(), b.numpy(), atol=1e-6, rtol=0)
        self.assertNotAllClose(traced_variables[3].numpy(), np.full((3,), 4.0), atol=1e-3)
        # Another graph, with another step, is not served the traced rate.
        self.assertAllClose(float(tf.function(schedule)(tf.constant(5))), 0.5, atol=1e-6)

    def test_serializable(self):
        schedule = WarmupDecay(0.1, 100, 5, "linear")
        restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
        self.assertEqual(restored.get_config(), schedule.get_config())

    def test_invalid(self):
        with self.assertRaisesRegex(ValueError, "`decay` must be"):
            WarmupDecay(1.0, 10, 0, "step")
        with self.assertRaisesRegex(ValueError, "`total_steps` must exceed"):
            WarmupDecay(1.0, 10, 10)
