r"""Trains a semantic segmentation model (UPerNet, Semantic FPN or PSPNet)
on any keras_mlp backbone.

With no flags it trains a UPerNet on Mixer-T/4 on the embedded task: the
handwritten digits of scikit-learn pasted on 48x48 canvases, each stroke
labelled with its digit + 1 (offline, minutes on 2 CPU cores), and prints
the test mIoU. Real data only changes flags:

  python examples/train_segmentation.py --dataset=scene_parse150 \
      --backbone=repmlpnet_t224 --image_size=224 --channels=512 --data_dir=/data/tfds

Runs are crash-safe and resumable exactly as examples/train.py's: rerun an
interrupted command to continue it.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

from keras_mlp import cli
from keras_mlp.segmentation.trainer import HEADS, SegmentationConfig, train_segmentation

_DEFAULTS = SegmentationConfig()
FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", _DEFAULTS.backbone, "Registered backbone name (keras_mlp.list_models()).")
flags.DEFINE_enum("head", _DEFAULTS.head, sorted(HEADS), "Segmentation head.")
flags.DEFINE_integer("channels", _DEFAULTS.channels, "Width of the head (512 in the papers' UPerNet).")
flags.DEFINE_string(
    "dataset", _DEFAULTS.dataset,
    "'digits' (embedded), 'scene_parse150' (ADE20K), 'oxford_iiit_pet', or a folder "
    "of <split>/images/<name>.jpg|png with <split>/labels/<name>.png.",
)
flags.DEFINE_integer("classes", None, "Classes of a folder dataset; default its largest label + 1.")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "Epochs.")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "Batch size.")
flags.DEFINE_integer("image_size", _DEFAULTS.image_size, "Square crop and model input side.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate, "Peak AdamW learning rate (poly decay to 0).")
flags.DEFINE_float("weight_decay", _DEFAULTS.weight_decay, "AdamW weight decay.")
flags.DEFINE_bool("flip", None, "Random horizontal flips; default on, off for the digits.")
flags.DEFINE_string("backbone_weights", None, "Pretrained backbone: a tag or a checkpoint path.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory.")
flags.DEFINE_bool("download", _DEFAULTS.download, "Let tensorflow-datasets download a dataset (needs network).")
cli.define_run_flags("runs/<backbone>-<dataset>-<head>-<digest of the settings>")


def main(argv):
    del argv
    _, results = train_segmentation(cli.config_from_flags(SegmentationConfig))
    print(f"\nTest mIoU {results['mean_iou']:.4f}, pixel accuracy {results['pixel_accuracy']:.4f}")
    print(f"Run directory: {results['model_dir']}; trained model: {results['final_model']}")


if __name__ == "__main__":
    cli.run(main, resumable=True)
