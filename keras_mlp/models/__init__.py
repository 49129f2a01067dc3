"""Application families; importing this registers every model.

A new family adds its import line here; `keras_mlp` exports every public
name this module imports (`__all__`).
"""

import inspect as _inspect

from keras_mlp.models.cyclemlp import (
    CycleMLP,
    CycleMLPB1,
    CycleMLPB2,
    CycleMLPB3,
    CycleMLPB4,
    CycleMLPB5,
)
from keras_mlp.models.feedforward_vit import (
    DeiTBase,
    DeiTTiny,
    FeedForwardBase,
    FeedForwardLarge,
    FeedForwardTiny,
    FeedForwardViT,
)
from keras_mlp.models.flops import count_flops, count_macs
from keras_mlp.models.mlp_mixer import (
    MixerB16,
    MixerB32,
    MixerH14,
    MixerL16,
    MixerL32,
    MixerS16,
    MixerS32,
    MixerT4,
    MLPMixer,
)
from keras_mlp.models.features import block_names, feature_extractor
from keras_mlp.models.gmlp import GMLP, GMLPB16, GMLPS16, GMLPTi16
from keras_mlp.models.inference import inference_function
from keras_mlp.models.registry import create_model, get_constructor, get_pretrained, list_models
from keras_mlp.models.reparameterize import reparameterize
from keras_mlp.models.repmlp_cifar import RepMLPCIFAR
from keras_mlp.models.resmlp import ResMLP, ResMLPB24, ResMLPS12, ResMLPS24, ResMLPS36
from keras_mlp.models.repmlp_resnet import (
    RepMLPFaceRes50,
    RepMLPRes50Bottleneck224,
    RepMLPRes50Light224,
    RepMLPResNet,
)
from keras_mlp.models.repmlpnet import (
    RepMLPNet,
    RepMLPNetB224,
    RepMLPNetB256,
    RepMLPNetD256,
    RepMLPNetL256,
    RepMLPNetT224,
    RepMLPNetT256,
)
from keras_mlp.models.wavemlp import WaveMLP, WaveMLPM, WaveMLPS, WaveMLPT, WaveMLPTDW

__all__ = sorted(name for name, value in globals().items() if not name.startswith("_") and not _inspect.ismodule(value))
