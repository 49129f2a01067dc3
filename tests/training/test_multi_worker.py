"""Which task of a `TF_CONFIG` cluster is the chief (the strategy runs in test_distribution)."""

import json
import os
from unittest import mock

from keras_mlp.training import multi_worker
from tests.testing import TestCase


def tf_config(cluster, task_type, index):
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


WORKERS = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
WITH_CHIEF = {"chief": ["127.0.0.1:0"], **WORKERS}


class MultiWorkerTest(TestCase):
    def test_chief(self):
        cases = [
            (WORKERS, "worker", 0, True, "worker_0"),
            (WORKERS, "worker", 1, False, "worker_1"),
            (WITH_CHIEF, "chief", 0, True, "chief_0"),
            (WITH_CHIEF, "worker", 0, False, "worker_0"),
        ]
        for cluster, task_type, index, chief, name in cases:
            with mock.patch.dict(os.environ, tf_config(cluster, task_type, index)):
                self.assertEqual(multi_worker.is_chief(), chief, (cluster, task_type, index))
                self.assertEqual(multi_worker.task_name(), name)

    def test_no_cluster_is_its_own_chief(self):
        with mock.patch.dict(os.environ):
            os.environ.pop("TF_CONFIG", None)
            self.assertTrue(multi_worker.is_chief())
