"""DiffAugment: each transform's formula, zero padding and cutout size, gradients that flow,
and draws from torch's global RNG (so a seeded or restored RNG state repeats them)."""
import pytest
import torch

from gankit.augment import DiffAugment, brightness, contrast, cutout, parse_policy, saturation, translation
from gankit.errors import GankitError


def ramp(n=3, c=1, h=8, w=8):
    return torch.arange(n * c * h * w, dtype=torch.float32).view(n, c, h, w) / (n * c * h * w) + 0.5


def test_colour_transforms_follow_their_formulas():
    x = torch.rand(4, 3, 5, 5)
    torch.manual_seed(0)
    r = torch.rand(4, 1, 1, 1)
    torch.manual_seed(0)
    assert torch.allclose(brightness(x), x + r - 0.5)
    torch.manual_seed(0)
    mean_c = x.mean(1, keepdim=True)
    assert torch.allclose(saturation(x), (x - mean_c) * 2 * r + mean_c)
    torch.manual_seed(0)
    mean = x.mean((1, 2, 3), keepdim=True)
    assert torch.allclose(contrast(x), (x - mean) * (r + 0.5) + mean)
    # a grey image has no saturation to change
    grey = torch.rand(4, 1, 5, 5)
    assert torch.allclose(saturation(grey), grey)


def test_translation_moves_content_and_pads_with_zeros():
    x = ramp(n=16)
    torch.manual_seed(1)
    out = translation(x)  # 8x8: shifts of at most 1 pixel
    for i in range(16):
        src, dst = x[i, 0], out[i, 0]
        shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                  if torch.equal(dst, torch.roll(src, (dy, dx), (0, 1)) * _keep_mask(dy, dx))]
        assert shifts, f"sample {i} is not a shifted copy of its input"
    assert (out == 0).any(), "some sample should have been shifted (and zero-padded)"


def _keep_mask(dy: int, dx: int, size: int = 8):
    """1 where the rolled image has real content, 0 where the shift vacated pixels."""
    mask = torch.ones(size, size)
    if dy > 0:
        mask[:dy] = 0
    if dy < 0:
        mask[dy:] = 0
    if dx > 0:
        mask[:, :dx] = 0
    if dx < 0:
        mask[:, dx:] = 0
    return mask


def test_cutout_zeroes_at_most_a_half_size_square():
    x = torch.ones(32, 1, 8, 8)
    torch.manual_seed(2)
    out = cutout(x)
    zeros = (out == 0).float().sum((1, 2, 3))
    assert zeros.max() == 16, "a square fully inside the image is 4x4"
    assert zeros.min() >= 4, "even at a corner at least a quarter of the square is inside"
    for i in range(32):  # the zeros form one axis-aligned rectangle
        rows, cols = torch.nonzero(out[i, 0] == 0, as_tuple=True)
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_gradients_flow_through_every_transform(policy):
    x = torch.rand(4, 3, 8, 8, requires_grad=True)
    torch.manual_seed(3)
    out = DiffAugment(policy)(x)
    assert out.shape == x.shape
    (out * torch.randn_like(out)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_same_seed_same_augmentation_and_rng_advances():
    aug, x = DiffAugment("color,translation,cutout"), torch.rand(4, 3, 8, 8)
    torch.manual_seed(4)
    a, b = aug(x), aug(x)
    torch.manual_seed(4)
    assert torch.equal(aug(x), a)
    assert not torch.equal(a, b), "each call draws fresh parameters"


def test_policy_parsing():
    assert parse_policy("") == [] and not DiffAugment("")
    assert len(parse_policy("color, cutout")) == 4
    with pytest.raises(GankitError, match="train.augment"):
        parse_policy("color,flip")
    with pytest.raises(GankitError, match="needs images"):
        DiffAugment("color")(torch.rand(4, 2))
