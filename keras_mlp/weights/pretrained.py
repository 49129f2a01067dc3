"""Every published checkpoint keras_mlp knows, in one table.

A family lists its records in its own `*_pretrained.py` module and adds
them here. Tags follow one convention across families (docs/architecture.md):
the data the weights were trained on (`imagenet1k`, `imagenet21k`, ...),
with the training variant after it when one source publishes several
(`sam`, `gsam`), and timm's own tag for weights as timm publishes them
(`goog_in21k_ft_in1k`), so that timm users recognise them.
"""

from keras_mlp.weights import (
    cyclemlp_pretrained,
    feedforward_pretrained,
    gmlp_pretrained,
    mixer_pretrained,
    resmlp_pretrained,
    wavemlp_pretrained,
)

PRETRAINED = (
    *mixer_pretrained.RECORDS,
    *feedforward_pretrained.RECORDS,
    *resmlp_pretrained.RECORDS,
    *gmlp_pretrained.RECORDS,
    *cyclemlp_pretrained.RECORDS,
    *wavemlp_pretrained.RECORDS,
)
