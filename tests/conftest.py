"""Test session set-up.

torch/torchvision (imported by timm) must be loaded before TensorFlow: the
other order crashes the process with a segmentation fault
(tensorflow-cpu 2.21 + torch 2.14.1 / torchvision 0.29.1).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

try:
    import timm  # noqa: F401
    import torch  # noqa: F401
except ImportError:
    pass


def pytest_collection_modifyitems(config, items):
    # tf.test.TestCase inherits a deprecated `test_session` helper that
    # pytest would collect and report as a skipped test in every class.
    items[:] = [item for item in items if item.name != "test_session"]
