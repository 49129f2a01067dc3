"""RetinaNet (Lin et al., arXiv 1708.02002) on a keras_mlp backbone, as
KerasHub builds it: its anchors, label encoder, focal loss and NMS."""

import math

import keras
import keras_hub
from keras_hub.layers import AnchorGenerator, NonMaxSuppression
from keras_hub.src.models.retinanet.retinanet_label_encoder import RetinaNetLabelEncoder

from keras_mlp import validation
from keras_mlp.detection.backbone import KerasHubBackbone

# Boxes in and out: corners in pixels, `[x_min, y_min, x_max, y_max]`, COCO's
# order once its widths and heights are added up.
BOX_FORMAT = "xyxy"
# The paper's levels: P3 (stride 8) to P7 (stride 128).
MIN_LEVEL = 3
PAPER_MAX_LEVEL = 7
# KerasHub's RetinaNetBackbone needs the pyramid up to P5.
_LOWEST_MAX_LEVEL = 5
# Detections kept for COCO's AP: every box above 5% (the paper's), 100 each.
SCORE_THRESHOLD = 0.05
MAX_DETECTIONS = 100
# 256-channel convolutions before each head's output in the paper.
PAPER_HEAD_CONV_LAYERS = 4
# Every class's probability at initialization (the paper's pi).
PRIOR_PROBABILITY = 0.01


def RetinaNet(
    backbone,
    classes,
    *,
    weights=None,
    image_shape=None,
    max_level=None,
    anchor_size=4,
    head_conv_layers=PAPER_HEAD_CONV_LAYERS,
    positive_threshold=0.5,
    negative_threshold=0.4,
    score_threshold=SCORE_THRESHOLD,
    iou_threshold=0.5,
    max_detections=MAX_DETECTIONS,
):
    """`keras_hub.models.RetinaNetObjectDetector` on a keras_mlp backbone.

    Boxes are `"xyxy"` in pixels (`BOX_FORMAT`) in the training targets
    (`{"boxes": (batch, boxes, 4), "labels": (batch, boxes)}`, padded with
    label -1) and in `predict`'s output (`boxes`, `classes`, `confidence`,
    `num_detections`). The pyramid runs from P3 (stride 8) to `max_level`;
    anchors of `anchor_size * stride` pixels at three scales and aspect
    ratios 0.5, 1, 2 per level, matched at IoU `positive_threshold` /
    `negative_threshold` as the paper's.

    Args:
        backbone: a `keras_mlp.list_models()` name or a `KerasHubBackbone`.
        classes: number of object classes (no background class).
        weights: with a name: the backbone's weights, as the classifiers'
            `weights=` (a classification run directory starts a detector
            from the classifier).
        image_shape: with a name: the backbone's `image_shape`.
        max_level: the coarsest pyramid level; default the paper's P7, or
            the level whose stride is the input's side where that is
            smaller (a 64x64 input stops at P6), never below P5.
        anchor_size: anchor side in strides at scale 1 (the paper's 4: 32
            pixel anchors on P3); smaller for small objects.
        head_conv_layers: 3x3 convolutions of 256 channels before each
            head's output (KerasHub's `pre_logits_num_conv_layers`): the
            paper's 4, fewer for speed.
        positive_threshold, negative_threshold: IoU above which an anchor
            learns a box, below which it learns background.
        score_threshold, iou_threshold, max_detections: the NMS of
            `predict`.

    Returns:
        A `keras_hub.models.RetinaNetObjectDetector`, to compile and fit.

    Example:

    ```python
    detector = keras_mlp.RetinaNet("cyclemlp_b1", classes=80, weights="imagenet1k")
    detector.compile(optimizer=keras.optimizers.AdamW(1e-4))
    detector.fit(images, {"boxes": boxes, "labels": labels})
    detector.predict(images)["boxes"]
    ```
    """
    validation.positive_int("classes", classes)
    validation.positive_number("anchor_size", anchor_size)
    validation.positive_int("head_conv_layers", head_conv_layers)
    if isinstance(backbone, str):
        backbone = KerasHubBackbone(backbone, weights=weights, image_shape=image_shape)
    elif not isinstance(backbone, KerasHubBackbone):
        raise ValueError(
            "`backbone` must be a keras_mlp.list_models() name or a keras_mlp.KerasHubBackbone. "
            f"Received: backbone={backbone!r}"
        )
    elif weights is not None or image_shape is not None:
        raise ValueError(
            "`weights` and `image_shape` apply to a backbone given by name; build the "
            f"KerasHubBackbone with them instead. Received: weights={weights!r}, image_shape={image_shape}"
        )
    max_level = _max_level(backbone.image_shape) if max_level is None else max_level
    if not _LOWEST_MAX_LEVEL <= max_level <= PAPER_MAX_LEVEL:
        raise ValueError(f"`max_level` must be from {_LOWEST_MAX_LEVEL} to {PAPER_MAX_LEVEL}. Received: max_level={max_level}")
    pyramid = keras_hub.models.RetinaNetBackbone(
        image_encoder=backbone, min_level=MIN_LEVEL, max_level=max_level, use_p5=False,
        image_shape=backbone.image_shape,
    )
    anchors = AnchorGenerator(
        BOX_FORMAT, min_level=MIN_LEVEL, max_level=max_level, num_scales=3,
        aspect_ratios=[0.5, 1.0, 2.0], anchor_size=anchor_size,
    )
    # The detector decodes its box outputs as `center_xywh` deltas; the
    # encoder must encode them so (its own default is `center_yxhw`).
    encoder = RetinaNetLabelEncoder(
        anchors, bounding_box_format=BOX_FORMAT, encoding_format="center_xywh",
        positive_threshold=positive_threshold, negative_threshold=negative_threshold,
    )
    decoder = NonMaxSuppression(
        bounding_box_format=BOX_FORMAT, from_logits=True, iou_threshold=iou_threshold,
        confidence_threshold=score_threshold, max_detections=max_detections,
    )
    detector = keras_hub.models.RetinaNetObjectDetector(
        backbone=pyramid, num_classes=classes, bounding_box_format=BOX_FORMAT,
        anchor_generator=anchors, label_encoder=encoder, prediction_decoder=decoder,
        pre_logits_num_conv_layers=head_conv_layers,
    )
    _paper_head_biases(detector)
    return detector


def _paper_head_biases(detector):
    """The paper's initial biases: every class at probability
    `PRIOR_PROBABILITY` (so the focal loss of the many background anchors
    does not swamp the first steps) and zero box deltas. KerasHub 0.32
    gives its prior to the box head and none to the class head."""
    classes = detector.classification_head.prediction_layer.bias
    classes.assign(keras.ops.full(classes.shape, -math.log((1 - PRIOR_PROBABILITY) / PRIOR_PROBABILITY)))
    boxes = detector.box_head.prediction_layer.bias
    boxes.assign(keras.ops.zeros(boxes.shape))


def _max_level(image_shape):
    side = min(image_shape[:2]) if None not in image_shape[:2] else None
    if side is None:
        return PAPER_MAX_LEVEL
    return max(_LOWEST_MAX_LEVEL, min(PAPER_MAX_LEVEL, int(math.log2(side))))
