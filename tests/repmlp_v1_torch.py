"""A PyTorch RepMLP (v1) block with the official module names and maths.

Written from the original repmlp.py (github.com/DingXiaoH/RepMLP, the
2021 version) as the reference keras_mlp's `RepMLPV1Block` is checked against.
"""

from torch import nn


class RepMLP(nn.Module):
    def __init__(self, channels, height, width, h, w, kernels, reduction, groups):
        super().__init__()
        self.C, self.h, self.w, self.kernels, self.groups = channels, h, w, kernels, groups
        self.rows, self.cols = height // h, width // w
        self.has_gp = (height, width) != (h, w)
        if self.has_gp:
            n = channels * self.rows * self.cols
            self.fc1_fc2 = nn.Sequential()
            self.fc1_fc2.add_module("fc1", nn.Linear(n, n // reduction))
            self.fc1_fc2.add_module("relu", nn.ReLU())
            self.fc1_fc2.add_module("fc2", nn.Linear(n // reduction, n))
            self.avg = nn.Sequential()
            self.avg.add_module("avg", nn.AvgPool2d((h, w)))
            self.avg.add_module("bn", nn.BatchNorm2d(channels))
        features = channels * h * w
        self.fc3 = nn.Conv2d(features, features, 1, groups=groups, bias=False)
        self.fc3_bn = nn.BatchNorm1d(features)
        for k in kernels:
            branch = nn.Sequential()
            branch.add_module("conv", nn.Conv2d(channels, channels, k, padding=k // 2, groups=groups, bias=False))
            branch.add_module("bn", nn.BatchNorm2d(channels))
            setattr(self, f"repconv{k}", branch)

    def forward(self, x):
        c, h, w, rows, cols = self.C, self.h, self.w, self.rows, self.cols
        parts = x.reshape(-1, c, rows, h, cols, w)
        if self.has_gp:
            v = self.fc1_fc2(self.avg(x).reshape(-1, c * rows * cols))
            parts = parts + v.reshape(-1, c, rows, 1, cols, 1)
        parts = parts.permute(0, 2, 4, 1, 3, 5)
        out = self.fc3(parts.reshape(-1, c * h * w, 1, 1)).reshape(-1, c * h * w)
        out = self.fc3_bn(out).reshape(-1, rows, cols, c, h, w)
        maps = parts.reshape(-1, c, h, w)
        for k in self.kernels:
            out = out + getattr(self, f"repconv{k}")(maps).reshape(-1, rows, cols, c, h, w)
        return out.permute(0, 3, 1, 4, 2, 5).reshape(-1, c, rows * h, cols * w)
