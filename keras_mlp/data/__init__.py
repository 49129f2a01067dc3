"""Input pipelines: tensorflow-datasets, image folders, the embedded digits set."""

from keras_mlp.data.embedded import load_digits
from keras_mlp.data.folder import CorruptImageError, list_image_folder
from keras_mlp.data.pipeline import Augmentation, eval_crop, make_dataset
from keras_mlp.data.preprocessing import IMAGENET, INCEPTION, Preprocessing
from keras_mlp.data.sources import DatasetInfo, load_dataset
