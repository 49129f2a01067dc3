r"""Trains a RetinaNet object detector (KerasHub's) on any keras_mlp backbone.

With no flags it trains a RetinaNet on CycleMLP-B1 on the embedded task: one
to three of scikit-learn's handwritten digits on 64x64 canvases, every
digit's box and class (offline, on 2 CPU cores), and prints COCO's box AP on
held-out canvases. Real data only changes flags:

  python examples/train_detection.py --dataset=/data/coco --image_size=512 \
      --backbone_weights=imagenet1k --anchor_size=4 --data_dir=/data/tfds

Runs are crash-safe and resumable exactly as examples/train.py's: rerun an
interrupted command to continue it.
"""

import runtime_logs  # noqa: F401  (first: examples/runtime_logs.py quiets the runtimes before they load)

from absl import flags

from keras_mlp import cli
from keras_mlp.detection.metrics import METRICS
from keras_mlp.detection.trainer import DetectionConfig, train_detection

_DEFAULTS = DetectionConfig()
FLAGS = flags.FLAGS
flags.DEFINE_string("backbone", _DEFAULTS.backbone, "Registered backbone name (keras_mlp.list_models()).")
flags.DEFINE_string(
    "dataset", _DEFAULTS.dataset,
    "'digits' (embedded), 'coco/2017' or 'voc' (tensorflow-datasets), or a COCO-format folder "
    "(annotations/instances_<split>.json and the images it names).",
)
flags.DEFINE_integer("classes", None, "Classes of a folder dataset; default its number of categories.")
flags.DEFINE_integer("epochs", _DEFAULTS.epochs, "Epochs.")
flags.DEFINE_integer("batch_size", _DEFAULTS.batch_size, "Batch size.")
flags.DEFINE_integer("image_size", _DEFAULTS.image_size, "Side of the square model input; images are resized to it.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate, "Peak AdamW learning rate (cosine decay to 0).")
flags.DEFINE_float("weight_decay", _DEFAULTS.weight_decay, "AdamW weight decay.")
flags.DEFINE_float("anchor_size", _DEFAULTS.anchor_size, "Anchor side in strides (the paper's 4).")
flags.DEFINE_integer(
    "head_conv_layers", _DEFAULTS.head_conv_layers, "256-channel 3x3 convolutions in each RetinaNet head (the paper's 4)."
)
flags.DEFINE_float("warmup_epochs", _DEFAULTS.warmup_epochs, "Linear learning-rate warm-up, in epochs.")
flags.DEFINE_string("backbone_weights", None, "Backbone weights: a tag, a checkpoint, a .keras file or a run directory.")
flags.DEFINE_string("data_dir", None, "tensorflow-datasets data directory.")
flags.DEFINE_bool("download", _DEFAULTS.download, "Let tensorflow-datasets download a dataset (needs network).")
cli.define_run_flags("runs/<backbone>-<dataset>-retinanet-<digest of the settings>")


def main(argv):
    del argv
    _, results = train_detection(cli.config_from_flags(DetectionConfig))
    print("\nCOCO box AP on the held-out images: " + ", ".join(f"{name} {results[name]:.4f}" for name in METRICS))
    print(f"Run directory: {results['model_dir']}; trained model: {results['final_model']}")


if __name__ == "__main__":
    cli.run(main, resumable=True)
