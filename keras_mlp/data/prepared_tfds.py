"""A tensorflow-datasets split that is prepared, or a clear error."""


def load_prepared(name, split, data_dir=None, download=False):
    """`(dataset, info)` of tfds' `name` `split`; without `download`, a
    dataset that is not prepared in `data_dir` is a `ValueError` that says
    how to prepare it."""
    import tensorflow_datasets as tfds

    try:
        return tfds.load(name, split=split, data_dir=data_dir, with_info=True, download=download)
    except AssertionError as e:  # tfds' "could not find data" without download
        raise ValueError(
            f"The tensorflow-datasets dataset {name!r} is not prepared in "
            f"{data_dir or tfds.core.constants.DATA_DIR}. Prepare it once with "
            f"`tfds build {name}` (downloads), point --data_dir at prepared data, "
            "or pass --download."
        ) from e
