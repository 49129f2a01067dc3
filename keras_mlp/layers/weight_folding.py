"""Structural re-parameterization arithmetic shared by the RepMLP blocks.

Everything here works on NumPy copies of trained weights, once, after
training: a BatchNormalization in inference mode is an affine map, so it
folds into the linear layer before it, and a convolution over an `h x w`
partition is a linear map, so it is an FC layer whose kernel is obtained by
convolving an identity matrix (Ding et al., arXiv 2105.01883, Sec. 3.3).
"""

import numpy as np
from keras import ops


def batch_norm_affine(bn):
    """`(scale, shift)` with `bn(x) == x * scale + shift` in inference mode."""
    gamma = ops.convert_to_numpy(bn.gamma) if bn.scale else 1.0
    beta = ops.convert_to_numpy(bn.beta) if bn.center else 0.0
    mean = ops.convert_to_numpy(bn.moving_mean)
    variance = ops.convert_to_numpy(bn.moving_variance)
    scale = gamma / np.sqrt(variance + bn.epsilon)
    return scale.astype("float32"), (beta - mean * scale).astype("float32")


def pad_kernel(kernel, size):
    """Zero-pads a `(k, k, ...)` kernel to `(size, size, ...)`, centred.

    With `"same"` padding and odd sizes this keeps the convolution's output.
    """
    pad = (size - kernel.shape[0]) // 2
    widths = [(pad, pad), (pad, pad)] + [(0, 0)] * (kernel.ndim - 2)
    return np.pad(kernel, widths)


def conv_to_fc(kernel, height, width):
    """The FC kernel equivalent to a `"same"`-padded conv on a `height x width` map.

    Args:
        kernel: `(k, k, in_channels, out_channels)` conv kernel (one group).
        height, width: size of the partition the conv runs on; zero padding
            at its border is exactly what the FC sees.

    Returns:
        `(in_channels * height * width, out_channels * height * width)`
        kernel for `x @ fc` on channel-major `(channel, row, col)` vectors.

    The conv is applied to a batch holding the identity matrix, one basis
    vector per sample: row `i` of the result is the conv's response to basis
    vector `i`, i.e. row `i` of the FC kernel.
    """
    in_channels, out_channels = kernel.shape[2], kernel.shape[3]
    size = in_channels * height * width
    # Sample i holds basis vector i, laid out channel-major like the FC input.
    basis = np.eye(size, dtype="float32").reshape(size, in_channels, height, width)
    basis = np.transpose(basis, (0, 2, 3, 1))
    response = ops.convert_to_numpy(
        ops.conv(basis, kernel.astype("float32"), padding="same", data_format="channels_last")
    )
    return np.transpose(response, (0, 3, 1, 2)).reshape(size, out_channels * height * width)
