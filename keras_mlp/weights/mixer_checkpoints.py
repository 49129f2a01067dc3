"""Checkpoint layouts of MLP-Mixer and its weights tied to the patch grid."""

from keras_mlp.weights.key_mapping import KeyMap, conv_to_hwio, norm, transpose, weight_and_bias
from keras_mlp.weights.loading import CheckpointSpec
from keras_mlp.weights.patch_resampling import PatchWeight

_B = r"MixerBlock_(\d+)"
# Official JAX/Flax release (google-research/vision_transformer,
# vit_jax/models_mixer.py), flattened with "/" as in the released .npz files.
# Flax kernels are already (in, out) / (h, w, in, out), as in Keras.
FLAX_MIXER = KeyMap(
    name="official Flax MLP-Mixer (.npz)",
    rules=(
        (r"stem/(kernel|bias)", r"stem/\1", None),
        (_B + r"/LayerNorm_0/scale", r"block_\1/norm1/gamma", None),
        (_B + r"/LayerNorm_0/bias", r"block_\1/norm1/beta", None),
        (_B + r"/LayerNorm_1/scale", r"block_\1/norm2/gamma", None),
        (_B + r"/LayerNorm_1/bias", r"block_\1/norm2/beta", None),
        (_B + r"/token_mixing/Dense_0/(kernel|bias)", r"block_\1/token_mixing/fc1/\2", None),
        (_B + r"/token_mixing/Dense_1/(kernel|bias)", r"block_\1/token_mixing/fc2/\2", None),
        (_B + r"/channel_mixing/Dense_0/(kernel|bias)", r"block_\1/channel_mixing/fc1/\2", None),
        (_B + r"/channel_mixing/Dense_1/(kernel|bias)", r"block_\1/channel_mixing/fc2/\2", None),
        (r"pre_head_layer_norm/scale", r"pre_head_norm/gamma", None),
        (r"pre_head_layer_norm/bias", r"pre_head_norm/beta", None),
        (r"head/(kernel|bias)", r"predictions/\1", None),
    ),
)

_T = r"blocks\.(\d+)"
# timm `timm/models/mlp_mixer.py` (`MlpMixer` state_dict, .pth or .safetensors).
TIMM_MIXER = KeyMap(
    name="timm mlp_mixer (.pth/.safetensors)",
    rules=(
        *weight_and_bias(r"stem\.proj", r"stem", conv_to_hwio),
        *norm(_T + r"\.norm([12])", r"block_\1/norm\2"),
        *weight_and_bias(_T + r"\.mlp_tokens\.(fc[12])", r"block_\1/token_mixing/\2", transpose),
        *weight_and_bias(_T + r"\.mlp_channels\.(fc[12])", r"block_\1/channel_mixing/\2", transpose),
        *norm(r"norm", r"pre_head_norm"),
        *weight_and_bias(r"head", r"predictions", transpose),
    ),
)

# The token MLP: `fc1` sums over input patches, `fc2` writes one output per patch.
_TOKEN_MLP = r"block_\d+/token_mixing"
PATCH_WEIGHTS = (
    PatchWeight(_TOKEN_MLP + r"/fc1/kernel", "p."),
    PatchWeight(_TOKEN_MLP + r"/fc1/bias", "."),
    PatchWeight(_TOKEN_MLP + r"/fc2/kernel", ".q"),
    PatchWeight(_TOKEN_MLP + r"/fc2/bias", "q"),
)

SPEC = CheckpointSpec(
    key_maps=(FLAX_MIXER, TIMM_MIXER),
    # The official Flax code runs `nn.gelu`, whose default is the tanh approximation.
    format_arguments={".npz": {"gelu_approximate": True}},
    # A file's token MLPs were trained on the grid of their patch count, so
    # it loads at a grid `K` times finer by the paper's Appendix C.
    grid_arguments={"token_mixing_grid": PatchWeight("block_0/token_mixing/fc1/kernel", "p.")},
    hint=(
        "A Mixer saved at a grid `K` times finer than the one its token MLPs "
        "were trained on loads with that `token_mixing_grid` passed."
    ),
)
