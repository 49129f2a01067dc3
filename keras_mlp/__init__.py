"""keras_mlp: all-MLP vision models for Keras 3.

MLP-Mixer, the feed-forward-only ViT, RepMLP, ResMLP, gMLP, CycleMLP and Wave-MLP as
Keras layers and `keras.applications`-style constructors, with pretrained-checkpoint
loading.
"""

from keras_mlp import export, layers, training
from keras_mlp.face import compare_faces, embed_files
from keras_mlp.models import (
    CycleMLP,
    CycleMLPB1,
    CycleMLPB2,
    CycleMLPB3,
    CycleMLPB4,
    CycleMLPB5,
    DeiTBase,
    DeiTTiny,
    FaceEmbedder,
    FeedForwardBase,
    FeedForwardLarge,
    FeedForwardTiny,
    FeedForwardViT,
    GMLP,
    GMLPB16,
    GMLPS16,
    GMLPTi16,
    MixerB16,
    MixerB32,
    MixerH14,
    MixerL16,
    MixerL32,
    MixerS16,
    MixerS32,
    MixerT4,
    MLPMixer,
    RepMLPCIFAR,
    RepMLPNet,
    RepMLPNetB224,
    RepMLPNetB256,
    RepMLPNetD256,
    RepMLPNetL256,
    RepMLPNetT224,
    RepMLPNetT256,
    RepMLPFaceRes50,
    RepMLPRes50Bottleneck224,
    RepMLPRes50Light224,
    RepMLPResNet,
    ResMLP,
    ResMLPB24,
    ResMLPS12,
    ResMLPS24,
    ResMLPS36,
    WaveMLP,
    WaveMLPM,
    WaveMLPS,
    WaveMLPT,
    WaveMLPTDW,
    block_names,
    count_flops,
    count_macs,
    create_model,
    feature_extractor,
    get_constructor,
    inference_function,
    list_models,
    reparameterize,
)
from keras_mlp.segmentation import PSPNet, SemanticFPN, UPerNet
from keras_mlp.version import __version__
from keras_mlp.weights import (
    CheckpointError,
    PretrainedWeights,
    decode_predictions,
    get_pretrained,
    list_pretrained,
    preprocess_input,
)
from keras_mlp.weights.hub import from_pretrained, load_metadata, save_pretrained
