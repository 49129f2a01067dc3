r"""Inference speed of a RetinaNet on a keras_mlp backbone against KerasHub's
ResNet-50 RetinaNet, the detector a KerasHub user would otherwise pick, in
one process, the calls interleaved so that both see the same machine.

  python benchmarks/detection_speed.py [--backbone=cyclemlp_b1 --image_size=512]

Both detectors have 80 classes and random weights (speed does not depend on
them); timed is the forward pass to box deltas and class logits, compiled
once (`tf.function`), without NMS; the median of `--repeats` calls.
"""

import time

import keras
import keras_hub
import numpy as np
from absl import app, flags

import keras_mlp

FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", "cyclemlp_b1", "Registered backbone name.")
flags.DEFINE_integer("image_size", 512, "Square input side.")
flags.DEFINE_integer("batch_size", 1, "Images per call.")
flags.DEFINE_integer("repeats", 5, "Timed calls of each detector.")

# KerasHub's ResNet-50 (v1) as its `resnet_50_imagenet` preset configures it.
RESNET50 = dict(
    input_conv_filters=[64], input_conv_kernel_sizes=[7], stackwise_num_filters=[64, 128, 256, 512],
    stackwise_num_blocks=[3, 4, 6, 3], stackwise_num_strides=[1, 2, 2, 2], block_type="bottleneck_block",
    use_pre_activation=False,
)


def resnet50_retinanet(classes):
    resnet = keras_hub.models.ResNetBackbone(**RESNET50, image_shape=(None, None, 3))
    backbone = keras_hub.models.RetinaNetBackbone(image_encoder=resnet, min_level=3, max_level=7, use_p5=False)
    return keras_hub.models.RetinaNetObjectDetector(backbone=backbone, num_classes=classes)


def main(argv):
    del argv
    import tensorflow as tf

    side = FLAGS.image_size
    detectors = {
        f"RetinaNet {FLAGS.backbone} (keras_mlp)": keras_mlp.RetinaNet(FLAGS.backbone, 80, image_shape=(side, side, 3)),
        "RetinaNet ResNet-50 (keras_hub)": resnet50_retinanet(80),
    }
    x = np.random.RandomState(0).uniform(-1, 1, (FLAGS.batch_size, side, side, 3)).astype("float32")
    forwards = {name: tf.function(lambda x, m=model: m(x, training=False)) for name, model in detectors.items()}
    for forward in forwards.values():
        forward(x)  # compile
    times = {name: [] for name in forwards}
    for _ in range(FLAGS.repeats):
        for name, forward in forwards.items():
            start = time.perf_counter()
            keras.ops.convert_to_numpy(forward(x)["cls_logits"])
            times[name].append(time.perf_counter() - start)
    print(f"| detector | params | ms per call (batch {FLAGS.batch_size}, {side}x{side}) | images/s |")
    print("|---|---:|---:|---:|")
    for name, model in detectors.items():
        median = float(np.median(times[name]))
        print(f"| {name} | {model.count_params():,} | {median * 1000:.0f} | {FLAGS.batch_size / median:.2f} |")


if __name__ == "__main__":
    app.run(main)
