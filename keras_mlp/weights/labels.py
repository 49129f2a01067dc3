"""Label sets of the published checkpoints, shipped inside the package."""

import functools
import os

_DIR = os.path.join(os.path.dirname(__file__), "labels")
_SYNSET_FILES = {
    "imagenet1k": "imagenet_synsets.txt",
    "imagenet21k_goog": "imagenet21k_goog_synsets.txt",
    "imagenet21k_miil": "imagenet21k_miil_synsets.txt",
}


@functools.lru_cache(maxsize=None)
def _lemmas():
    with open(os.path.join(_DIR, "synset_to_lemma.txt"), encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f if line.strip())


@functools.lru_cache(maxsize=None)
def class_names(label_set):
    """`[(synset_id, name), ...]` in the head order of `label_set`."""
    if label_set not in _SYNSET_FILES:
        raise ValueError(
            f"Unknown label set {label_set!r}. Available: {sorted(_SYNSET_FILES)}"
        )
    with open(os.path.join(_DIR, _SYNSET_FILES[label_set]), encoding="utf-8") as f:
        synsets = [line.strip() for line in f if line.strip()]
    lemmas = _lemmas()
    return [(s, lemmas.get(s, s).split(",")[0].strip()) for s in synsets]
