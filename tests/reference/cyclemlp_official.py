"""The official CycleMLP modules, for parity tests.

A re-statement of `cycle_mlp.py` of ShoufaChen/CycleMLP (Chen et al., arXiv
2107.10224): the same module tree, so `state_dict()` has the key names of
the released `CycleMLP_B*.pth` files (`{"model": state_dict}`), and the same
math, `CycleFC` included, which samples through
`torchvision.ops.deform_conv2d` with a fixed integer offset per channel.
Only what classification needs is kept (no `fork_feat` heads, no mmdet/mmseg
registration); timm's helpers come from `timm.layers`.
"""

import torch
import torch.nn as nn
from timm.layers import DropPath, Mlp, trunc_normal_
from torchvision.ops import deform_conv2d


class CycleFC(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        self.kernel_size = kernel_size
        self.in_channels = in_channels
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.register_buffer("offset", self.gen_offset())
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        nn.init.uniform_(self.bias, -(in_channels**-0.5), in_channels**-0.5)

    def gen_offset(self):
        # (dy, dx) of input channel i, one pair per channel: the official layout.
        offset = torch.empty(1, self.in_channels * 2, 1, 1)
        kh, kw = self.kernel_size
        start = (kh * kw) // 2
        for i in range(self.in_channels):
            if kh == 1:
                offset[0, 2 * i, 0, 0] = 0
                offset[0, 2 * i + 1, 0, 0] = (i + start) % kw - kw // 2
            else:
                offset[0, 2 * i, 0, 0] = (i + start) % kh - kh // 2
                offset[0, 2 * i + 1, 0, 0] = 0
        return offset

    def forward(self, x):
        batch, _, height, width = x.shape
        return deform_conv2d(x, self.offset.expand(batch, -1, height, width), self.weight, self.bias)


class CycleMLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mlp_c = nn.Linear(dim, dim, bias=False)
        self.sfc_h = CycleFC(dim, dim, (1, 3))
        self.sfc_w = CycleFC(dim, dim, (3, 1))
        self.reweight = Mlp(dim, dim // 4, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, _, _, channels = x.shape
        h = self.sfc_h(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        w = self.sfc_w(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        c = self.mlp_c(x)
        a = (h + w + c).permute(0, 3, 1, 2).flatten(2).mean(2)
        a = self.reweight(a).reshape(batch, channels, 3).permute(2, 0, 1).softmax(dim=0)
        a = a.unsqueeze(2).unsqueeze(2)
        return self.proj(h * a[0] + w * a[1] + c * a[2])


class CycleBlock(nn.Module):
    def __init__(self, dim, mlp_ratio, drop_path=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = CycleMLP(dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchEmbedOverlapping(nn.Module):
    def __init__(self, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=7, stride=4, padding=2)

    def forward(self, x):
        return self.proj(x)


class Downsample(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_dim, out_dim, kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        return self.proj(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class CycleNet(nn.Module):
    def __init__(self, layers, embed_dims, mlp_ratios, num_classes=1000, drop_path_rate=0.0):
        super().__init__()
        self.patch_embed = PatchEmbedOverlapping(embed_dims[0])
        network = []
        for i, depth in enumerate(layers):
            network.append(
                nn.Sequential(
                    *(
                        CycleBlock(
                            embed_dims[i],
                            mlp_ratios[i],
                            drop_path_rate * (b + sum(layers[:i])) / (sum(layers) - 1),
                        )
                        for b in range(depth)
                    )
                )
            )
            if i < len(layers) - 1:
                network.append(Downsample(embed_dims[i], embed_dims[i + 1]))
        self.network = nn.ModuleList(network)
        self.norm = nn.LayerNorm(embed_dims[-1])
        self.head = nn.Linear(embed_dims[-1], num_classes)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, (nn.Linear, CycleFC)):
            trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.patch_embed(x).permute(0, 2, 3, 1)
        for module in self.network:
            x = module(x)
        x = self.norm(x.flatten(1, 2))
        return self.head(x.mean(1))


_DIMS = (64, 128, 320, 512)
CONFIGS = {
    "cyclemlp_b1": dict(layers=(2, 2, 4, 2), embed_dims=_DIMS, mlp_ratios=(4, 4, 4, 4)),
    "cyclemlp_b2": dict(layers=(2, 3, 10, 3), embed_dims=_DIMS, mlp_ratios=(4, 4, 4, 4)),
    "cyclemlp_b3": dict(layers=(3, 4, 18, 3), embed_dims=_DIMS, mlp_ratios=(8, 8, 4, 4)),
    "cyclemlp_b4": dict(layers=(3, 8, 27, 3), embed_dims=_DIMS, mlp_ratios=(8, 8, 4, 4)),
    "cyclemlp_b5": dict(layers=(3, 4, 24, 3), embed_dims=(96, 192, 384, 768), mlp_ratios=(4, 4, 4, 4)),
}


def create(name, **kwargs):
    """`CycleMLP_B<n>(**kwargs)` of the official file."""
    return CycleNet(**CONFIGS[name], **kwargs)


def release(name):
    """What the official release file of `name` holds: `{"model": state dict}`."""
    return {"model": create(name).state_dict()}
