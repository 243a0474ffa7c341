import hashlib

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits as sklearn_digits

from gankit.data.images import (LoadedImages, convert_channels, load_array_images, load_digits,
                                load_images, resize_images)
from gankit.errors import GankitError
from gankit.data import idx
from tests.data.test_idx import make_split, serve, write_idx

RNG = np.random.default_rng(0)
NCHW = RNG.integers(0, 256, (5, 3, 6, 7), dtype=np.uint8)  # the reference every layout must give back


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_array_layouts(tmp_path, layout, channels):
    reference = RNG.integers(0, 256, (5, channels, 6, 7), dtype=np.uint8)
    stored = reference.transpose(0, 2, 3, 1) if layout == "NHWC" else reference
    np.save(tmp_path / "a.npy", stored)
    loaded = load_array_images(tmp_path / "a.npy")
    assert loaded.images.is_contiguous() and np.array_equal(loaded.images.numpy(), reference)
    assert loaded.labels is None and loaded.source.endswith("a.npy")


def test_greyscale_nhw_and_channel_axis_ties(tmp_path):
    np.save(tmp_path / "grey.npy", NCHW[:, 0])  # (N, H, W)
    assert np.array_equal(load_array_images(tmp_path / "grey.npy").images.numpy(), NCHW[:, :1])
    np.save(tmp_path / "ncwh.npy", np.zeros((2, 3, 4, 4), np.uint8))  # both axes could be channels:
    assert load_array_images(tmp_path / "ncwh.npy").images.shape == (2, 3, 4, 4)  # the smaller wins
    np.save(tmp_path / "tie.npy", np.zeros((2, 3, 5, 3), np.uint8))
    assert load_array_images(tmp_path / "tie.npy").images.shape == (2, 3, 3, 5)  # tie: NHWC


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_ranges_are_rescaled(tmp_path, dtype):
    unit = (NCHW / 255).astype(dtype)  # [0, 1]
    symmetric = (NCHW / 127.5 - 1).astype(dtype)  # [-1, 1]
    np.savez(tmp_path / "unit.npz", images=unit)
    np.savez(tmp_path / "sym.npz", x=symmetric)
    assert np.array_equal(load_array_images(tmp_path / "unit.npz").images.numpy(), NCHW)
    assert np.array_equal(load_array_images(tmp_path / "sym.npz").images.numpy(), NCHW)


@pytest.mark.parametrize("images, message", [
    (NCHW * 2.0, r"\[0, 1\] or \[-1, 1\], found \[0, 510\]"),
    (NCHW.astype(np.int64) - 1, "0..255"),
    (np.full((2, 4, 4), np.nan), "NaN"),
    (np.zeros((2, 5, 6, 7), np.uint8), "no channel axis"),
    (np.zeros((0, 6, 7), np.uint8), "N > 0"),
    (np.zeros((6, 7), np.uint8), r"expected images shaped"),
    (np.zeros((2, 4, 4), bool), "uint8, integer or float"),
])
def test_bad_arrays_are_rejected(tmp_path, images, message):
    np.save(tmp_path / "bad.npy", images)
    with pytest.raises(GankitError, match=f"bad.npy.*{message}"):
        load_array_images(tmp_path / "bad.npy")


def test_integer_images_and_npz_keys(tmp_path):
    labels = np.arange(5, dtype=np.int32)
    np.savez(tmp_path / "xy.npz", x=NCHW.astype(np.int64), y=labels[:, None])  # Keras-style (N, 1)
    loaded = load_array_images(tmp_path / "xy.npz")
    assert np.array_equal(loaded.images.numpy(), NCHW)
    assert loaded.labels.dtype == torch.int64 and loaded.labels.tolist() == labels.tolist()
    np.savez(tmp_path / "single.npz", whatever=NCHW)
    assert load_array_images(tmp_path / "single.npz").images.shape == (5, 3, 6, 7)
    np.savez(tmp_path / "two.npz", a=NCHW, b=NCHW)
    with pytest.raises(GankitError, match=r"no array named 'images' or 'x' \(found \['a', 'b'\]\)"):
        load_array_images(tmp_path / "two.npz")
    np.savez(tmp_path / "float_labels.npz", images=NCHW, labels=np.zeros(5))
    with pytest.raises(GankitError, match="labels must be non-negative integers"):
        load_array_images(tmp_path / "float_labels.npz")


def test_pickled_or_damaged_arrays_are_refused(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GankitError, match="without pickle"):
        load_array_images(tmp_path / "objects.npy")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(GankitError, match="junk.npz"):
        load_array_images(tmp_path / "junk.npz")
    np.save(tmp_path / "whole.npy", NCHW)
    (tmp_path / "cut.npy").write_bytes((tmp_path / "whole.npy").read_bytes()[:-40])  # a download cut short
    with pytest.raises(GankitError, match=r"cut.npy: damaged .npy/.npz file \(.*\); expected a complete file") as info:
        load_array_images(tmp_path / "cut.npy")
    assert "pickle" not in str(info.value).split("cut.npy")[1]  # (the folder is named after this test)


def test_digits():
    digits = load_digits()
    reference = sklearn_digits()
    assert digits.images.shape == (1797, 1, 8, 8) and digits.images.dtype == torch.uint8
    assert int(digits.images.min()) == 0 and int(digits.images.max()) == 255
    # 16 -> 255, 8 -> 127.5 -> 128 (round half to even), 1 -> 15.9375 -> 16
    assert np.array_equal(digits.images[:, 0].numpy(), np.rint(reference.images * 255 / 16))
    assert digits.labels.tolist() == reference.target.tolist() and digits.class_names[7] == "7"


def test_resize_crops_the_centre_and_antialiases():
    wide = torch.arange(4 * 8, dtype=torch.uint8).reshape(1, 1, 4, 8)
    assert torch.equal(resize_images(wide, (4, 4)), wide[..., 2:6])  # covers at scale 1: crop only
    constant = torch.full((3, 2, 28, 28), 77, dtype=torch.uint8)
    assert torch.equal(resize_images(constant, (32, 32)), torch.full((3, 2, 32, 32), 77, dtype=torch.uint8))
    checker = (torch.arange(8)[:, None] + torch.arange(8)[None, :]) % 2 * 255
    halved = resize_images(checker.to(torch.uint8).view(1, 1, 8, 8), (4, 4)).float()
    assert (halved - 127.5).abs().max() < 3.5  # antialiasing averages the 1-px pattern to grey


def test_tensor_resize_matches_pillow_bicubic():
    yy, xx = np.mgrid[0:20, 0:30]
    smooth = (127 + 100 * np.sin(xx / 5) * np.cos(yy / 4)).astype(np.uint8)
    by_pillow = np.asarray(Image.fromarray(smooth).resize((15, 10), Image.Resampling.BICUBIC))
    by_torch = resize_images(torch.from_numpy(smooth)[None, None], (10, 15))[0, 0].numpy()
    assert np.abs(by_pillow.astype(int) - by_torch).max() <= 1


def test_convert_channels():
    rgb = torch.tensor([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30], dtype=torch.uint8).view(4, 3, 1, 1)
    luma = convert_channels(rgb, 1).flatten().tolist()
    assert luma == [76, 150, 29, round(0.299 * 10 + 0.587 * 20 + 0.114 * 30)]  # Y = .299R + .587G + .114B
    grey = torch.tensor([0, 9, 200], dtype=torch.uint8).view(3, 1, 1, 1)
    assert convert_channels(grey, 3).flatten().tolist() == [0] * 3 + [9] * 3 + [200] * 3
    assert convert_channels(grey, 4)[:, 3].flatten().tolist() == [255] * 3
    rgba = torch.tensor([200, 100, 50, 0, 200, 100, 50, 255, 200, 100, 50, 128], dtype=torch.uint8)
    composited = convert_channels(rgba.view(3, 4, 1, 1), 3).view(3, 3).tolist()
    assert composited == [[0, 0, 0], [200, 100, 50], [100, 50, 25]]  # rgb * alpha / 255, over black


def test_load_images_named_and_digits(tmp_path):
    images, labels = make_split(tmp_path / "data" / "fashion-mnist", "t10k", n=5)
    loaded = load_images("fashion-mnist", root=tmp_path / "data", split="test", image_size=8, channels=3)
    assert loaded.images.shape == (5, 3, 8, 8) and loaded.class_names[0] == "T-shirt/top"
    assert loaded.labels.tolist() == labels.tolist() and "fashion-mnist (test)" in loaded.source
    digits = load_images("digits", limit=10, image_size=(16, 12))
    assert digits.images.shape == (10, 1, 16, 12) and len(digits.labels) == 10


def test_load_images_downloads_a_missing_named_dataset_when_asked(tmp_path, monkeypatch):
    make_split(tmp_path / "mirror", n=3)
    payloads = {p.name: p.read_bytes() for p in (tmp_path / "mirror").iterdir()}
    md5s = {name: hashlib.md5(data).hexdigest() for name, data in payloads.items()}
    monkeypatch.setitem(idx.NAMED_DATASETS, "mnist", ("http://mirror.invalid/", md5s))
    monkeypatch.setattr(idx, "SYSTEM_DATASETS_DIR", tmp_path / "system")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    asked = serve(monkeypatch, payloads)
    with pytest.raises(GankitError, match="--set data.download=true"):
        load_images("mnist", root=tmp_path / "data")
    loaded = load_images("mnist", root=tmp_path / "data", download=True)
    assert len(asked) == 2 and len(loaded) == 3 and (tmp_path / "data/mnist/SHA256SUMS").is_file()


def test_load_images_from_paths(tmp_path):
    images, labels = make_split(tmp_path / "idx_dir", gz=False)
    from_dir = load_images(str(tmp_path / "idx_dir"), limit=4)
    assert torch.equal(from_dir.images[:, 0], torch.from_numpy(images[:4])) and len(from_dir.labels) == 4
    from_file = load_images(str(tmp_path / "idx_dir" / "train-images-idx3-ubyte"), channels=4)
    assert from_file.images.shape == (6, 4, 5, 4) and from_file.labels.tolist() == labels.tolist()
    np.savez(tmp_path / "a.npz", images=NCHW, labels=np.arange(5))
    assert load_images(str(tmp_path / "a.npz"), channels=1, image_size=3).images.shape == (5, 1, 3, 3)
    write_idx(tmp_path / "renamed.bin", images)  # IDX recognised by content, not by name
    assert len(load_images(str(tmp_path / "renamed.bin"))) == 6


def test_load_images_image_folder(tmp_path):
    (tmp_path / "pics").mkdir()
    for k in range(3):
        Image.new("RGB", (10, 14), (k, 2 * k, 3 * k)).save(tmp_path / "pics" / f"{k}.png")
    loaded = load_images(str(tmp_path / "pics"), image_size=6, limit=2)
    assert loaded.images.shape == (2, 3, 6, 6) and loaded.labels is None  # channels default to RGB
    with pytest.raises(GankitError, match="needs image_size"):
        load_images(str(tmp_path / "pics"))


def test_load_images_rejects_bad_input(tmp_path):
    with pytest.raises(GankitError, match="not a file or directory; expected one of mnist, fashion-mnist, digits"):
        load_images("cifar10")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(GankitError, match="of no known kind"):
        load_images(str(tmp_path / "notes.txt"))
    for bad in ({"limit": 0}, {"channels": 2}, {"image_size": (8, 0)}, {"image_size": True}):
        with pytest.raises(GankitError):
            load_images("digits", **bad)


def test_loaded_images_checks_its_invariants():
    with pytest.raises(AssertionError):
        LoadedImages(images=torch.zeros(2, 1, 4, 4), labels=None, class_names=None, source="float")
