"""Building blocks of keras_mlp models, usable on their own."""

from keras_mlp.layers.affine import Affine
from keras_mlp.layers.conv_bn import ConvBN
from keras_mlp.layers.gmlp_block import GMLPBlock
from keras_mlp.layers.layer_scale import LayerScale
from keras_mlp.layers.mixer_block import MLPMixerBlock
from keras_mlp.layers.mlp import MLP
from keras_mlp.layers.reparameterizable import Reparameterizable
from keras_mlp.layers.repmlp_block import RepMLPBlock
from keras_mlp.layers.repmlp_v1_block import RepMLPV1Block
from keras_mlp.layers.resmlp_block import ResMLPBlock
from keras_mlp.layers.spatial_gating_unit import SpatialGatingUnit
from keras_mlp.layers.stochastic_depth import StochasticDepth
from keras_mlp.layers.token_linear import TokenLinear
from keras_mlp.layers.class_token_embedding import ClassTokenEmbedding
from keras_mlp.layers.feed_forward_block import FeedForwardBlock
from keras_mlp.layers.self_attention import MultiHeadSelfAttention
from keras_mlp.layers.transformer_block import TransformerBlock
from keras_mlp.layers.adaptive_average_pooling import AdaptiveAveragePooling2D
from keras_mlp.layers.tokens_to_grid import TokensToGrid
