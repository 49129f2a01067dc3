"""A PyTorch RepMLPNet with the official module names and maths.

Written from the official repmlpnet.py (github.com/DingXiaoH/RepMLP,
CVPR 2022 version) as the reference that keras_mlp is checked against: its
`state_dict()` has the official checkpoint layout, `locality_injection()`
turns it into the official deploy form.
"""

import collections

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(cin, cout, kernel, stride=1, padding=0, groups=1, relu=False):
    layers = [
        ("conv", nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)),
        ("bn", nn.BatchNorm2d(cout)),
    ]
    if relu:
        layers.append(("relu", nn.ReLU()))
    return nn.Sequential(collections.OrderedDict(layers))


def fuse(conv_weight, bn):
    std = (bn.running_var + bn.eps).sqrt()
    scale = bn.weight / std
    repeats = conv_weight.shape[0] // scale.shape[0]
    scale_full = scale.repeat_interleave(repeats)
    shift = (bn.bias - bn.running_mean * scale).repeat_interleave(repeats)
    return conv_weight * scale_full.reshape(-1, 1, 1, 1), shift


class GlobalPerceptron(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(x, 1)
        return torch.sigmoid(self.fc2(F.relu(self.fc1(x))))


class RepMLPBlock(nn.Module):
    def __init__(self, channels, h, w, kernels, reduce, sets, deploy=False):
        super().__init__()
        self.C, self.S, self.h, self.w, self.kernels = channels, sets, h, w, kernels
        self.deploy = deploy
        self.gp = GlobalPerceptron(channels, channels // reduce)
        pixels = h * w * sets
        self.fc3 = nn.Conv2d(pixels, pixels, 1, groups=sets, bias=deploy)
        if not deploy:
            self.fc3_bn = nn.BatchNorm2d(sets)
            for k in kernels:
                setattr(self, f"repconv{k}", conv_bn(sets, sets, k, padding=k // 2, groups=sets))

    def forward(self, x):
        gate = self.gp(x)
        n, c, height, width = x.shape
        rows, cols = height // self.h, width // self.w
        parts = x.reshape(-1, c, rows, self.h, cols, self.w).permute(0, 2, 4, 1, 3, 5)
        out = self.fc3(parts.reshape(-1, self.S * self.h * self.w, 1, 1))
        out = out.reshape(-1, self.S, self.h, self.w)
        if not self.deploy:
            out = self.fc3_bn(out)
            maps = parts.reshape(-1, self.S, self.h, self.w)
            for k in self.kernels:
                out = out + getattr(self, f"repconv{k}")(maps)
        out = out.reshape(-1, rows, cols, c, self.h, self.w).permute(0, 3, 1, 4, 2, 5)
        return out.reshape(n, c, height, width) * gate

    def local_inject(self):
        weight, bias = fuse(self.fc3.weight, self.fc3_bn)
        pixels = self.h * self.w
        if self.kernels:
            size = max(self.kernels)
            kernel = 0
            for k in self.kernels:
                branch = getattr(self, f"repconv{k}")
                k_weight, k_bias = fuse(branch.conv.weight, branch.bn)
                kernel = kernel + F.pad(k_weight, [(size - k) // 2] * 4)
                bias = bias + k_bias.repeat_interleave(pixels)
                delattr(self, f"repconv{k}")
            eye = torch.eye(pixels).repeat(1, self.S).reshape(pixels, self.S, self.h, self.w)
            fc = F.conv2d(eye, kernel, padding=size // 2, groups=self.S)
            weight = weight + fc.reshape(pixels, self.S * pixels).t().reshape_as(weight)
        del self.fc3_bn
        self.fc3 = nn.Conv2d(self.S * pixels, self.S * pixels, 1, groups=self.S)
        self.fc3.weight.data, self.fc3.bias.data = weight, bias
        self.deploy = True


class Unit(nn.Module):
    def __init__(self, channels, size, kernels, sets, deploy):
        super().__init__()
        self.repmlp_block = RepMLPBlock(channels, size, size, kernels, 4, sets, deploy)
        self.ffn_block = nn.Sequential()
        self.ffn_block.add_module("ffn_fc1", conv_bn(channels, channels * 4, 1))
        self.ffn_block.add_module("act", nn.GELU())
        self.ffn_block.add_module("ffn_fc2", conv_bn(channels * 4, channels, 1))
        self.prebn1 = nn.BatchNorm2d(channels)
        self.prebn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        x = x + self.repmlp_block(self.prebn1(x))
        return x + self.ffn_block(self.prebn2(x))


class RepMLPNet(nn.Module):
    def __init__(self, channels, num_blocks, sharesets_nums, partition_sizes,
                 reparam_conv_k=(1, 3), classes=1000, deploy=False):
        super().__init__()
        self.conv_embedding = conv_bn(3, channels[0], 4, 4, relu=True)
        self.stages = nn.ModuleList(
            nn.ModuleList(Unit(c, size, reparam_conv_k, sets, deploy) for _ in range(depth))
            for c, depth, sets, size in zip(channels, num_blocks, sharesets_nums, partition_sizes)
        )
        self.embeds = nn.ModuleList(
            conv_bn(channels[i], channels[i + 1], 2, 2, relu=True) for i in range(len(channels) - 1)
        )
        self.head_norm = nn.BatchNorm2d(channels[-1])
        self.head = nn.Linear(channels[-1], classes)

    def forward(self, x):
        x = self.conv_embedding(x)
        for i, stage in enumerate(self.stages):
            for unit in stage:
                x = unit(x)
            if i < len(self.embeds):
                x = self.embeds[i](x)
        return self.head(F.adaptive_avg_pool2d(self.head_norm(x), 1).flatten(1))

    def locality_injection(self):
        for module in self.modules():
            if isinstance(module, RepMLPBlock) and not module.deploy:
                module.local_inject()


def randomize_batch_norms(module, seed=0):
    """Non-trivial running statistics and affine parameters in every BatchNorm."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(n, generator=generator) * 0.1)
