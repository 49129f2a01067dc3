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


LABEL_SETS = tuple(sorted(_SYNSET_FILES))


def class_names(label_set):
    """`[(synset_id, name), ...]` in the head order of `label_set`.

    `label_set` is a shipped set (`LABEL_SETS`) or the path of a text file
    with one class name per line, in head order (a fine-tuned model's
    classes); such a file's ids are the class indices as strings.
    """
    if label_set in _SYNSET_FILES:
        return _shipped_names(label_set)
    if os.path.isfile(label_set):
        with open(label_set, encoding="utf-8") as f:
            names = [line.strip() for line in f if line.strip()]
        return [(str(index), name) for index, name in enumerate(names)]
    raise ValueError(
        f"Unknown label set {label_set!r}: not one of {list(LABEL_SETS)} "
        "and not a text file of class names."
    )


@functools.lru_cache(maxsize=None)
def _shipped_names(label_set):
    with open(os.path.join(_DIR, _SYNSET_FILES[label_set]), encoding="utf-8") as f:
        synsets = [line.strip() for line in f if line.strip()]
    lemmas = _lemmas()
    return [(s, lemmas.get(s, s).split(",")[0].strip()) for s in synsets]


def head_names(label_set):
    """The class names of a head trained on `label_set`, as metadata keeps
    them: a shipped set's WordNet synset ids (timm's convention), a text
    file's names."""
    if label_set in _SYNSET_FILES:
        return tuple(synset for synset, _ in _shipped_names(label_set))
    return tuple(name for _, name in class_names(label_set))


def described(names):
    """`[(class_id, name), ...]` of a head's class names, for people: a
    WordNet synset id (timm's ImageNet heads) is shown with its lemma; any
    other name has its index as id."""
    lemmas = _lemmas()
    return [
        (name, lemmas[name].split(",")[0].strip()) if name in lemmas else (str(index), name)
        for index, name in enumerate(names)
    ]
