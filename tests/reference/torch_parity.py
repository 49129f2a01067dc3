"""Helpers for comparing keras_mlp models with PyTorch reference modules."""

import os

import numpy as np
import safetensors.torch
import torch

from tests.testing import run_on_backend


def randomized(module, seed=0, std=0.2):
    """`module` in eval mode with every parameter drawn at random, so that no
    mapping error hides behind an initial one, zero or constant value."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0.0, std)
    return module.eval()


def save(module, folder, file_name):
    """Writes `module`'s state dict as the reference publishes it: `.pth`
    files wrapped in `{"model": ...}` (DeiT's and timm's training scripts),
    `.safetensors` flat (the Hugging Face Hub). Returns the path."""
    path = os.path.join(folder, file_name)
    if file_name.endswith(".safetensors"):
        safetensors.torch.save_file(module.state_dict(), path)
    else:
        torch.save({"model": module.state_dict()}, path)
    return path


def images(batch, size, seed=0):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, size, size, 3)).astype("float32")


def logits(module, images):
    """The module's outputs on channels-last `images`."""
    with torch.no_grad():
        return module(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()


def subgrid_logits(module, images, patch_size, k):
    """What the MLP-Mixer paper's Appendix C rule predicts at a `k` times
    finer patch grid: with block-diagonal token mixing every layer acts on
    each strided sub-grid (patch rows `a::k`, columns `b::k`) alone, and the
    average pool and linear head then average the sub-grids' logits."""
    batch, height, width, channels = images.shape
    rows, cols = height // patch_size, width // patch_size
    patches = images.reshape(batch, rows, patch_size, cols, patch_size, channels)
    subimages = [
        patches[:, a::k, :, b::k].reshape(batch, height // k, width // k, channels)
        for a in range(k)
        for b in range(k)
    ]
    return np.mean([logits(module, sub) for sub in subimages], axis=0)


def logits_on_backend(backend, name, weights, inputs, folder):
    """Logits of `keras_mlp.create_model(name, weights=weights)` on each array
    of `inputs`, at that array's height and width, computed in a fresh process
    on the Keras `backend` (a process picks its backend once)."""
    for i, x in enumerate(inputs):
        np.save(os.path.join(folder, f"images{i}.npy"), x)
    run_on_backend(
        backend,
        f"""
        import keras, numpy as np, keras_mlp
        for i in range({len(inputs)}):
            x = np.load({folder!r} + f"/images{{i}}.npy")
            model = keras_mlp.create_model({name!r}, weights={weights!r}, input_shape=x.shape[1:],
                                           classifier_activation=None)
            np.save({folder!r} + f"/logits{{i}}.npy", keras.ops.convert_to_numpy(model(x)))
        """,
    )
    return [np.load(os.path.join(folder, f"logits{i}.npy")) for i in range(len(inputs))]


def relative_error(actual, expected):
    return float(np.max(np.abs(actual - expected)) / np.max(np.abs(expected)))


def assert_logits_match(test, model, images, expected):
    """The keras_mlp `model` gives `expected` on `images` within 1e-4 relative error."""
    test.assertLessEqual(relative_error(model.predict(images, verbose=0), expected), 1e-4)
