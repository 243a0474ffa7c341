import io
import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.image_folder import SkippedImagesWarning, load_image_folder
from gankit.errors import GankitError

MODES = ["L", "RGB", "RGBA", "P"]


def random_image(rng: np.random.Generator, mode: str) -> Image.Image:
    width, height = rng.integers(6, 20, size=2)
    rgb = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
    if mode == "P":
        return rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return rgb.convert(mode)


def jpeg_bytes(size=(16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def classes_folder(tmp_path):
    """100 good images (modes L/RGB/RGBA/P, sizes 6..19, png and jpg) in cats/ and dogs/, 3 bad files."""
    rng = np.random.default_rng(0)
    for k in range(100):
        folder = tmp_path / ("cats" if k < 40 else "dogs") / ("deep" if k % 10 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        mode = MODES[k % 4]
        suffix = ".JPG" if mode in ("L", "RGB") and k % 3 == 0 else ".png"
        random_image(rng, mode).save(folder / f"img_{k:03d}{suffix}")
    (tmp_path / "cats" / "noise.png").write_bytes(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    (tmp_path / "dogs" / "cut.jpg").write_bytes(jpeg_bytes()[:200])  # truncated JPEG
    (tmp_path / "dogs" / "empty.webp").write_bytes(b"")
    (tmp_path / "dogs" / "readme.txt").write_text("not an image, not counted")
    return tmp_path


@pytest.mark.parametrize("channels", [1, 3])
def test_loads_good_images_and_warns_once_about_bad_ones(classes_folder, channels):
    with pytest.warns(SkippedImagesWarning) as caught:
        loaded = load_image_folder(classes_folder, 12, channels)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 3 " in message and "cats/noise.png" in message and "dogs/cut.jpg" in message
    assert loaded.images.shape == (100, channels, 12, 12) and loaded.images.dtype == torch.uint8
    assert loaded.images.is_contiguous()
    assert loaded.class_names == ["cats", "dogs"]  # deep/ sub-sub-folders count for their class
    assert loaded.labels.tolist() == [0] * 40 + [1] * 60


def test_files_are_sorted_and_loose_images_mean_no_labels(tmp_path):
    for value in (2, 10, 1):
        Image.new("L", (4, 4), value).save(tmp_path / f"{value}.png")
    (tmp_path / "sub").mkdir()
    Image.new("L", (4, 4), 99).save(tmp_path / "sub" / "0.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to skip, so no warning at all
        loaded = load_image_folder(tmp_path, 4, 1)
    assert loaded.labels is None and loaded.class_names is None
    assert loaded.images[:, 0, 0, 0].tolist() == [1, 10, 2, 99]  # "1.png" < "10.png" < "2.png" < "sub/0.png"
    assert len(load_image_folder(tmp_path, 4, 1, limit=2)) == 2


def test_modes_are_converted_faithfully(tmp_path):
    Image.new("RGBA", (4, 4), (250, 120, 60, 0)).save(tmp_path / "a_transparent.png")
    Image.new("RGBA", (4, 4), (200, 100, 50, 255)).save(tmp_path / "b_opaque.png")
    sixteen_bit = np.full((4, 4), 32896, np.uint16)  # 32896 / 257 = 128
    Image.fromarray(sixteen_bit).save(tmp_path / "c_16bit.png")
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 30, 60, 90] + [0] * 762)
    palette.save(tmp_path / "d_palette.png")
    Image.new("L", (4, 4), 77).save(tmp_path / "e_grey.bmp")
    rgb = load_image_folder(tmp_path, 4, 3).images[:, :, 0, 0].tolist()
    assert rgb == [[0, 0, 0], [200, 100, 50], [128, 128, 128], [30, 60, 90], [77, 77, 77]]
    rgba = load_image_folder(tmp_path, 4, 4).images[:, :, 0, 0].tolist()
    assert rgba[0] == [250, 120, 60, 0] and rgba[4] == [77, 77, 77, 255]
    grey = load_image_folder(tmp_path, 4, 1).images[:, 0, 0, 0].tolist()
    assert grey[1] == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)  # ITU-R 601-2 luma


def test_resize_covers_then_crops_the_centre(tmp_path):
    stripes = np.repeat(np.arange(24, dtype=np.uint8)[None, :] * 10, 12, axis=0)  # (12, 24), column k = 10k
    Image.fromarray(stripes).save(tmp_path / "wide.png")
    Image.new("RGB", (30, 20), (5, 6, 7)).save(tmp_path / "plain.webp", lossless=True)
    loaded = load_image_folder(tmp_path, 12, 3)
    assert np.array_equal(loaded.images[1, 0].numpy(), stripes[:, 6:18])  # height fits: crop only
    assert torch.equal(loaded.images[0], torch.tensor([5, 6, 7], dtype=torch.uint8).view(3, 1, 1).expand(3, 12, 12))
    assert load_image_folder(tmp_path, (6, 9), 1).images.shape == (2, 1, 6, 9)


def test_unusable_folders_are_errors(tmp_path):
    with pytest.raises(GankitError, match="not found"):
        load_image_folder(tmp_path / "missing", 8, 3)
    with pytest.raises(GankitError, match="no image files found"):
        load_image_folder(tmp_path, 8, 3)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(GankitError, match="none of the 1 image files could be read"):
        load_image_folder(tmp_path, 8, 3)
    with pytest.raises(GankitError, match="channels must be 1, 3 or 4"):
        load_image_folder(tmp_path, 8, 2)
