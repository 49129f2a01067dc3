"""Semantic segmentation over any keras_mlp backbone: UPerNet, Semantic FPN, PSPNet."""

from keras_mlp.segmentation.feature_points import STRIDES, backbone_features, feature_pyramid
from keras_mlp.segmentation.pspnet import PSPNet
from keras_mlp.segmentation.semantic_fpn import SemanticFPN
from keras_mlp.segmentation.uper_net import UPerNet

# The heads by the name runs and their metadata record them under.
HEADS = {"upernet": UPerNet, "semantic_fpn": SemanticFPN, "pspnet": PSPNet}
