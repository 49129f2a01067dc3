"""The official ResMLP modules, for parity tests.

A faithful re-statement of `resmlp_models.py` of facebookresearch/deit
(Touvron et al., arXiv 2105.03404), which builds on timm's `Mlp`,
`PatchEmbed`, `DropPath` and `trunc_normal_` as here. Only the imports
differ: the official file takes them from `timm.models.vision_transformer`
and `timm.models.layers`, which timm 1.0 keeps as deprecated aliases of
`timm.layers`. Its `state_dict()` has the key names of the released `.pth`
files (`{"model": state_dict}`).
"""

import torch
import torch.nn as nn
from timm.layers import DropPath, Mlp, PatchEmbed, trunc_normal_


class Affine(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(dim))
        self.beta = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return self.alpha * x + self.beta


class layers_scale_mlp_blocks(nn.Module):  # noqa: N801  (the official name)
    def __init__(self, dim, drop=0.0, drop_path=0.0, act_layer=nn.GELU, init_values=1e-4, num_patches=196):
        super().__init__()
        self.norm1 = Affine(dim)
        self.attn = nn.Linear(num_patches, num_patches)
        self.drop_path = DropPath(drop_path) if drop_path > 0.0 else nn.Identity()
        self.norm2 = Affine(dim)
        self.mlp = Mlp(in_features=dim, hidden_features=int(4.0 * dim), act_layer=act_layer, drop=drop)
        self.gamma_1 = nn.Parameter(init_values * torch.ones((dim)), requires_grad=True)
        self.gamma_2 = nn.Parameter(init_values * torch.ones((dim)), requires_grad=True)

    def forward(self, x):
        x = x + self.drop_path(self.gamma_1 * self.attn(self.norm1(x).transpose(1, 2)).transpose(1, 2))
        x = x + self.drop_path(self.gamma_2 * self.mlp(self.norm2(x)))
        return x


class resmlp_models(nn.Module):  # noqa: N801
    def __init__(
        self, img_size=224, patch_size=16, in_chans=3, num_classes=1000, embed_dim=768, depth=12,
        drop_rate=0.0, Patch_layer=PatchEmbed, act_layer=nn.GELU, drop_path_rate=0.0, init_scale=1e-4,
    ):
        super().__init__()
        self.num_classes = num_classes
        self.num_features = self.embed_dim = embed_dim
        self.patch_embed = Patch_layer(
            img_size=img_size, patch_size=patch_size, in_chans=int(in_chans), embed_dim=embed_dim
        )
        num_patches = self.patch_embed.num_patches
        dpr = [drop_path_rate for i in range(depth)]
        self.blocks = nn.ModuleList([
            layers_scale_mlp_blocks(
                dim=embed_dim, drop=drop_rate, drop_path=dpr[i], act_layer=act_layer,
                init_values=init_scale, num_patches=num_patches,
            )
            for i in range(depth)
        ])
        self.norm = Affine(embed_dim)
        self.feature_info = [dict(num_chs=embed_dim, reduction=0, module="head")]
        self.head = nn.Linear(embed_dim, num_classes) if num_classes > 0 else nn.Identity()
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.constant_(m.bias, 0)
            nn.init.constant_(m.weight, 1.0)

    def forward_features(self, x):
        B = x.shape[0]
        x = self.patch_embed(x)
        for i, blk in enumerate(self.blocks):
            x = blk(x)
        x = self.norm(x)
        x = x.mean(dim=1).reshape(B, 1, -1)
        return x[:, 0]

    def forward(self, x):
        x = self.forward_features(x)
        x = self.head(x)
        return x


def resmlp_12(**kwargs):
    return resmlp_models(
        patch_size=16, embed_dim=384, depth=12, Patch_layer=PatchEmbed, init_scale=0.1, **kwargs
    )


def resmlp_24(**kwargs):
    return resmlp_models(
        patch_size=16, embed_dim=384, depth=24, Patch_layer=PatchEmbed, init_scale=1e-5, **kwargs
    )


def resmlp_36(**kwargs):
    return resmlp_models(
        patch_size=16, embed_dim=384, depth=36, Patch_layer=PatchEmbed, init_scale=1e-6, **kwargs
    )


def resmlpB_24(**kwargs):  # noqa: N802
    return resmlp_models(
        patch_size=8, embed_dim=768, depth=24, Patch_layer=PatchEmbed, init_scale=1e-6, **kwargs
    )
