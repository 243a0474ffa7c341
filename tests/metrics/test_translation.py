"""Paired translation scores (gankit/metrics/translation.py) against hand-computed values."""
import math

import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics.translation import PSNR_CAP, paired_scores


def test_l1_and_psnr_by_hand():
    target = torch.zeros(2, 1, 2, 2, dtype=torch.uint8)
    fake = target.clone()
    fake[0, 0, 0, 0] = 255  # image 0: one of four pixels fully wrong; image 1: exact
    scores = paired_scores(fake, target)
    assert scores["paired_l1"] == pytest.approx(255 / 255 / 8)  # one pixel of eight, off by 1
    psnr_0 = 10 * math.log10(255 ** 2 / (255 ** 2 / 4))  # MSE = 255² / 4: 6.02 dB
    assert scores["paired_psnr"] == pytest.approx((psnr_0 + PSNR_CAP) / 2)  # an exact copy counts as the cap


def test_uniform_error_of_one_grey_level():
    target = torch.full((3, 3, 4, 4), 100, dtype=torch.uint8)
    scores = paired_scores(target + 1, target)
    assert scores["paired_l1"] == pytest.approx(1 / 255)
    assert scores["paired_psnr"] == pytest.approx(20 * math.log10(255))  # 48.13 dB


def test_shapes_must_match():
    with pytest.raises(GankitError, match=r"translations \(2, 1, 4, 4\) and targets \(2, 3, 4, 4\)"):
        paired_scores(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
