"""The official Wave-MLP modules, for parity tests.

A re-statement of `wavemlp_pytorch/models/wavemlp.py` of
huawei-noah/Efficient-AI-Backbones (Tang et al., arXiv 2111.12294): the same
module tree, so `state_dict()` has the key names of the released
`WaveMLP_*.pth.tar` files (timm's `train.py` saves them as
`{"state_dict": ..., "state_dict_ema": ...}`), and the same math, channels
first. Only what classification needs is kept (no `fork_feat` heads).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath, trunc_normal_


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features, out_features=None):
        super().__init__()
        self.act = nn.GELU()
        self.fc1 = nn.Conv2d(in_features, hidden_features, 1, 1)
        self.fc2 = nn.Conv2d(hidden_features, out_features or in_features, 1, 1)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def _theta(dim, mode):
    if mode == "fc":
        conv = nn.Conv2d(dim, dim, 1, 1, bias=True)
    else:
        conv = nn.Conv2d(dim, dim, 3, stride=1, padding=1, groups=dim, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(dim), nn.ReLU())


class PATM(nn.Module):
    def __init__(self, dim, mode="fc"):
        super().__init__()
        self.fc_h = nn.Conv2d(dim, dim, 1, 1, bias=False)
        self.fc_w = nn.Conv2d(dim, dim, 1, 1, bias=False)
        self.fc_c = nn.Conv2d(dim, dim, 1, 1, bias=False)
        self.tfc_h = nn.Conv2d(2 * dim, dim, (1, 7), stride=1, padding=(0, 3), groups=dim, bias=False)
        self.tfc_w = nn.Conv2d(2 * dim, dim, (7, 1), stride=1, padding=(3, 0), groups=dim, bias=False)
        self.reweight = Mlp(dim, dim // 4, dim * 3)
        self.proj = nn.Conv2d(dim, dim, 1, 1, bias=True)
        self.theta_h_conv = _theta(dim, mode)
        self.theta_w_conv = _theta(dim, mode)

    def forward(self, x):
        batch, channels, _, _ = x.shape
        theta_h = self.theta_h_conv(x)
        theta_w = self.theta_w_conv(x)
        x_h = self.fc_h(x)
        x_w = self.fc_w(x)
        x_h = torch.cat([x_h * torch.cos(theta_h), x_h * torch.sin(theta_h)], dim=1)
        x_w = torch.cat([x_w * torch.cos(theta_w), x_w * torch.sin(theta_w)], dim=1)
        h = self.tfc_h(x_h)
        w = self.tfc_w(x_w)
        c = self.fc_c(x)
        a = F.adaptive_avg_pool2d(h + w + c, output_size=1)
        a = self.reweight(a).reshape(batch, channels, 3).permute(2, 0, 1).softmax(dim=0)
        a = a.unsqueeze(-1).unsqueeze(-1)
        return self.proj(h * a[0] + w * a[1] + c * a[2])


class WaveBlock(nn.Module):
    def __init__(self, dim, mlp_ratio, norm_layer, mode, drop_path=0.0):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = PATM(dim, mode=mode)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class _ConvNorm(nn.Module):
    """`PatchEmbedOverlapping` and `Downsample`: a conv, then the norm if used."""

    def __init__(self, in_dim, out_dim, kernel, stride, padding, norm_layer, use_norm):
        super().__init__()
        self.proj = nn.Conv2d(in_dim, out_dim, kernel_size=kernel, stride=stride, padding=padding)
        self.norm = norm_layer(out_dim) if use_norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.proj(x))


def group_norm(dim):
    """The official `MyNorm`: one group, i.e. a LayerNorm over (C, H, W)."""
    return nn.GroupNorm(1, dim)


class WaveNet(nn.Module):
    def __init__(self, layers, embed_dims, mlp_ratios, num_classes=1000, norm_layer=nn.BatchNorm2d,
                 mode="fc", ds_use_norm=True, drop_path_rate=0.0):
        super().__init__()
        self.patch_embed = _ConvNorm(3, embed_dims[0], 7, 4, 2, norm_layer, ds_use_norm)
        network = []
        for i, depth in enumerate(layers):
            network.append(
                nn.Sequential(
                    *(
                        WaveBlock(
                            embed_dims[i], mlp_ratios[i], norm_layer, mode,
                            drop_path_rate * (b + sum(layers[:i])) / (sum(layers) - 1),
                        )
                        for b in range(depth)
                    )
                )
            )
            if i < len(layers) - 1:
                network.append(_ConvNorm(embed_dims[i], embed_dims[i + 1], 3, 2, 1, norm_layer, ds_use_norm))
        self.network = nn.ModuleList(network)
        self.norm = norm_layer(embed_dims[-1])
        self.head = nn.Linear(embed_dims[-1], num_classes)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=0.02)
            nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.patch_embed(x)
        for module in self.network:
            x = module(x)
        x = self.norm(x)
        return self.head(F.adaptive_avg_pool2d(x, output_size=1).flatten(1))


_DIMS = (64, 128, 320, 512)
CONFIGS = {
    "wavemlp_t_dw": dict(layers=(2, 2, 4, 2), embed_dims=_DIMS, mlp_ratios=(4, 4, 4, 4), mode="depthwise"),
    "wavemlp_t": dict(layers=(2, 2, 4, 2), embed_dims=_DIMS, mlp_ratios=(4, 4, 4, 4)),
    "wavemlp_s": dict(layers=(2, 3, 10, 3), embed_dims=_DIMS, mlp_ratios=(4, 4, 4, 4), norm_layer=group_norm),
    "wavemlp_m": dict(
        layers=(3, 4, 18, 3), embed_dims=_DIMS, mlp_ratios=(8, 8, 4, 4), norm_layer=group_norm, ds_use_norm=False
    ),
}


def create(name, **kwargs):
    """`WaveMLP_<variant>(**kwargs)` of the official file."""
    return WaveNet(**CONFIGS[name], **kwargs)


def release(name):
    """What the official release file of `name` holds: timm's `train.py`
    checkpoint, the weights under `"state_dict"`."""
    return {"state_dict": create(name).state_dict()}
