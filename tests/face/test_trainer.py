"""A face run end to end at a tiny size, and its checks before training."""

import os

import keras
import numpy as np
import pytest

import keras_mlp
from keras_mlp.face.identities import digits_protocol, glyphs_protocol
from keras_mlp.face.trainer import FaceTrainConfig, _training_dataset, plan, preprocessing, train_face
from tests.face.test_identities import people
from tests.testing import TestCase

TINY = dict(image_size=16, epochs=1, steps_per_epoch=2, batch_size=8, embedding_dim=8, verbose=0)


class FaceTrainerTest(TestCase):
    @pytest.mark.slow  # about 2 min on the shared 2 cores: a run, a rerun, three loads
    def test_digits_run_then_compare_two_faces(self):
        model_dir = os.path.join(self.get_temp_dir(), "run")
        embedder, results = train_face(FaceTrainConfig(dataset="digits", model_dir=model_dir, **TINY))
        self.assertEqual(embedder.output_shape, (None, 8))
        self.assertBetween(results["verification_accuracy"], 0.4, 1.0)
        self.assertEqual(results["pairs"], 600)
        # The cosine of the 16x16 digits' pixels on the same 600 pairs.
        self.assertAllClose(results["raw_pixels_accuracy"], 0.745, atol=0.0005)
        self.assertEqual(results["roc"], os.path.join(model_dir, "roc.png"))
        for name in ("final.keras", "results.json", "run.json", "history.csv", "checkpoints"):
            self.assertTrue(os.path.exists(os.path.join(model_dir, name)), name)
        with open(os.path.join(model_dir, "history.csv")) as f:
            self.assertIn("val_verification_accuracy", f.readline())
        # A rerun finds the finished run and returns its embedder unchanged.
        again, same = train_face(FaceTrainConfig(dataset="digits", model_dir=model_dir, **TINY))
        self.assertEqual(same, results)

        _, pairs = digits_protocol(16)
        files = []
        for i in range(3):
            files.append(os.path.join(self.get_temp_dir(), f"{i}.png"))
            keras.utils.save_img(files[-1], pairs.images[i], scale=False)
        embeddings = keras_mlp.embed_files(model_dir, files)
        self.assertAllClose(np.linalg.norm(embeddings, axis=1), np.ones(3))
        similarity, same_person = keras_mlp.compare_faces(model_dir, files[0], files[1])
        self.assertAllClose(similarity, embeddings[0] @ embeddings[1], atol=1e-5)
        self.assertEqual(same_person, similarity > results["threshold"])
        self.assertFalse(keras_mlp.compare_faces(model_dir, files[0], files[2], threshold=1.01)[1])

    def test_a_resumed_run_trains_on_the_batches_of_an_uninterrupted_one(self):
        train, _ = glyphs_protocol(16, seed=3, train_identities=12, unseen_identities=10, renderings=2, pairs=20)

        def batches(initial_epoch):
            dataset = _training_dataset(
                train, preprocessing(16), 8, steps_per_epoch=3, epochs=3, initial_epoch=initial_epoch, seed=3,
                flip=False,
            )
            return [(images.numpy(), labels.numpy()) for (images, labels), _ in dataset]

        uninterrupted, resumed = batches(0), batches(1)
        self.assertEqual((len(uninterrupted), len(resumed)), (9, 6))
        for (images, labels), (again, labels_again) in zip(uninterrupted[3:], resumed):
            self.assertAllEqual(images, again)
            self.assertAllEqual(labels, labels_again)
        # Epoch 1 draws new renderings, in another order.
        self.assertNotAllEqual(uninterrupted[0][0], uninterrupted[3][0])
        self.assertNotAllEqual(uninterrupted[0][1], uninterrupted[3][1])

    def test_each_dataset_brings_its_recipe_and_head(self):
        def resolved(**kwargs):
            run_plan = plan(FaceTrainConfig(model_dir=self.get_temp_dir(), **kwargs))
            return run_plan.recipe_name, run_plan.head, run_plan.head_arguments

        self.assertEqual(resolved(), ("glyphs_face", "cosface", {"scale": 16.0, "margin": 0.2}))
        self.assertEqual(resolved(margin=0.3), ("glyphs_face", "cosface", {"scale": 16.0, "margin": 0.3}))
        # The protocol's scale and margin belong to its head; ArcFace keeps the paper's.
        self.assertEqual(resolved(head="arcface"), ("glyphs_face", "arcface", {}))
        self.assertEqual(resolved(dataset="digits"), ("digits_face", "arcface", {}))
        self.assertEqual(
            resolved(dataset=self.get_temp_dir(), verification="lfw.bin"), ("insightface", "arcface", {})
        )

    def test_bad_input_fails_before_anything_is_written(self):
        ids = people(os.path.join(self.get_temp_dir(), "ids"), {"ann": 2, "bob": 1}, size=(16, 16))
        model_dir = os.path.join(self.get_temp_dir(), "never")
        with self.assertRaisesRegex(ValueError, "needs --verification"):
            train_face(FaceTrainConfig(dataset=ids, model_dir=model_dir, **TINY))
        pairs = os.path.join(ids, "pairs.txt")
        with open(pairs, "w") as f:
            f.write("ann\t1\t2\n")
        with self.assertRaisesRegex(ValueError, r"single image \(bob\)"):
            train_face(FaceTrainConfig(dataset=ids, verification=pairs, model_dir=model_dir, **TINY))
        os.remove(os.path.join(ids, "bob", "bob_0001.png"))
        os.rmdir(os.path.join(ids, "bob"))
        people(ids, {"cid": 2}, size=(16, 16))
        with self.assertRaisesRegex(ValueError, "pairs.txt has 1 pairs: 10-fold verification needs at least 10"):
            train_face(FaceTrainConfig(dataset=ids, verification=pairs, model_dir=model_dir, **TINY))
        with self.assertRaisesRegex(ValueError, "--dataset=glyphs verifies on its own unseen identities"):
            train_face(FaceTrainConfig(verification=pairs, model_dir=model_dir, **TINY))
        with self.assertRaisesRegex(ValueError, "`head` must be one of"):
            train_face(FaceTrainConfig(head="sphereface", model_dir=model_dir, **TINY))
        with self.assertRaisesRegex(ValueError, "`margin` must be below pi / 2"):
            train_face(FaceTrainConfig(head="arcface", margin=2.0, model_dir=model_dir, **TINY))
        self.assertFalse(os.path.exists(model_dir))
