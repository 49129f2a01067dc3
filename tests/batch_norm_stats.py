"""Non-trivial BatchNorm state, so reparameterization tests exercise the fusion."""

import numpy as np


def randomize_batch_norms(layer, seed=0):
    """Random moving mean/variance, gamma and beta in every BatchNorm of `layer`."""
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        name = variable.path.rsplit("/", 1)[-1]
        if name == "moving_variance":
            variable.assign(rng.uniform(0.5, 1.5, variable.shape))
        elif name in ("moving_mean", "beta"):
            variable.assign(rng.normal(0.0, 0.1, variable.shape))
        elif name == "gamma":
            variable.assign(rng.uniform(0.5, 1.5, variable.shape))
