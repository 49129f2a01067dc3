"""ResMLP and gMLP records agree with timm's pretrained configs of the same files."""

import timm
from timm.models import get_pretrained_cfg

from absl.testing import parameterized

from keras_mlp.weights import gmlp_pretrained, resmlp_pretrained
from tests.testing import TestCase

TIMM_ARCHS = {
    "resmlp_s12": "resmlp_12_224",
    "resmlp_s24": "resmlp_24_224",
    "resmlp_s36": "resmlp_36_224",
    "resmlp_b24": "resmlp_big_24_224",
    "gmlp_s16": "gmlp_s16_224",
}
TIMM_TAGS = {
    "imagenet1k": "fb_in1k",
    "imagenet1k_distilled": "fb_distilled_in1k",
    "imagenet1k_from22k": "fb_in22k_ft_in1k",
    "imagenet1k_dino": "fb_dino",
    "ra3_in1k": "ra3_in1k",
}
RECORDS = resmlp_pretrained.RECORDS + gmlp_pretrained.RECORDS


def timm_name(record):
    return f"{TIMM_ARCHS[record.model]}.{TIMM_TAGS[record.tag]}"


class PretrainedRecordsTest(TestCase, parameterized.TestCase):
    def test_every_timm_release_has_a_record(self):
        ours = {timm_name(r) for r in RECORDS}
        self.assertLen(ours, len(RECORDS))
        self.assertEqual(ours, set(timm.list_pretrained("resmlp_*") + timm.list_pretrained("gmlp_*")))

    @parameterized.parameters(*RECORDS)
    def test_file_and_preprocessing_as_timm_records_them(self, record):
        cfg = get_pretrained_cfg(timm_name(record))
        self.assertEqual(record.url, cfg.url)
        self.assertEqual(record.hf_hub_id, cfg.hf_hub_id)
        self.assertEqual(record.classes, cfg.num_classes)
        p = record.preprocessing
        self.assertEqual((p.mean, p.std), (tuple(cfg.mean), tuple(cfg.std)))
        self.assertEqual((p.crop_pct, p.interpolation), (cfg.crop_pct, cfg.interpolation))
        self.assertEqual(p.input_size, cfg.input_size[-1])
        if record.sha256:
            self.assertIn(f"-{record.sha256}.", record.url)
