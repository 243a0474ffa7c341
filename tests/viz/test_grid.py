"""Tests for gankit/viz/grid.py."""
import numpy as np
import pytest
from PIL import Image

from gankit.errors import GankitError
from gankit.viz.grid import image_grid, save_image_grid, save_images, to_uint8_images, upscale


def three_tiny_images() -> np.ndarray:
    """Three 2x2 single-channel images; image k holds 10k+1 .. 10k+4 in reading order."""
    return np.array([[[[1, 2], [3, 4]]], [[[11, 12], [13, 14]]], [[[21, 22], [23, 24]]]], dtype=np.uint8)


def test_image_grid_exact_layout_with_padding_and_a_blank_cell():
    grid = image_grid(three_tiny_images(), nrow=2, padding=1)
    expected = np.array([
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 2, 0, 11, 12, 0],
        [0, 3, 4, 0, 13, 14, 0],
        [0, 0, 0, 0, 0, 0, 0],
        [0, 21, 22, 0, 0, 0, 0],  # last row: one image, then a blank cell
        [0, 23, 24, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ], dtype=np.uint8)[:, :, None]
    assert grid.dtype == np.uint8
    np.testing.assert_array_equal(grid, expected)


def test_image_grid_without_padding_and_with_a_pad_value():
    grid = image_grid(three_tiny_images(), nrow=3, padding=0)
    np.testing.assert_array_equal(grid[:, :, 0], [[1, 2, 11, 12, 21, 22], [3, 4, 13, 14, 23, 24]])
    assert image_grid(three_tiny_images(), nrow=3, padding=1, pad_value=255)[0, 0, 0] == 255


def test_image_grid_with_nrow_above_count_uses_one_row():
    assert image_grid(three_tiny_images(), nrow=10, padding=2).shape == (2 + 2 + 2, 3 * (2 + 2) + 2, 1)


def test_float_images_are_scaled_to_uint8():
    images = np.array([0.0, 0.5, 1.0, 1.0004, -0.0002], dtype=np.float32).reshape(1, 1, 1, 5)
    # 0.5 * 255 = 127.5 rounds to 128; tiny overshoots from rounding are clipped
    np.testing.assert_array_equal(to_uint8_images(images).ravel(), [0, 128, 255, 255, 0])


def test_three_channels_are_kept_in_order():
    images = np.zeros((2, 3, 1, 1), dtype=np.uint8)
    images[0, :, 0, 0] = (255, 0, 0)
    images[1, :, 0, 0] = (0, 0, 255)
    grid = image_grid(images, nrow=2, padding=0)
    assert grid.shape == (1, 2, 3)
    np.testing.assert_array_equal(grid[0], [[255, 0, 0], [0, 0, 255]])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 2, 4, 4)), "C = 1 or 3"),
    (np.zeros((4, 4)), "shape"),
    (np.zeros((0, 1, 4, 4)), "non-empty"),
    (np.full((1, 1, 2, 2), 2.0), r"expected \[0, 1\]"),
    (np.full((1, 1, 2, 2), -1.0), r"expected \[0, 1\]"),
    (np.full((1, 1, 2, 2), np.nan), "NaN"),
    (np.zeros((1, 1, 2, 2), dtype=np.int64), "dtype"),
])
def test_bad_images_are_user_errors(bad, message):
    with pytest.raises(GankitError, match=message):
        image_grid(bad, nrow=2)


@pytest.mark.parametrize("nrow, padding", [(0, 2), (2.5, 2), (2, -1)])
def test_bad_layout_arguments_are_user_errors(nrow, padding):
    with pytest.raises(GankitError):
        image_grid(three_tiny_images(), nrow=nrow, padding=padding)


def test_upscale_is_nearest_neighbour():
    pixels = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)
    big = upscale(pixels, 3)
    assert big.shape == (6, 9, 1)
    rows, columns = np.indices((6, 9))
    np.testing.assert_array_equal(big[:, :, 0], pixels[rows // 3, columns // 3, 0])
    with pytest.raises(GankitError, match="scale"):
        upscale(pixels, 0)


def test_save_image_grid_greyscale_png_with_scale(tmp_path, open_image):
    path = save_image_grid(three_tiny_images(), tmp_path / "g" / "grid.png", nrow=2, scale=4, padding=1)
    assert open_image(path) == ((28, 28), "L", "PNG")  # 7x7 grid, 4x larger
    with Image.open(path) as image:
        saved = np.asarray(image)
    expected = image_grid(three_tiny_images(), nrow=2, padding=1)[:, :, 0].repeat(4, 0).repeat(4, 1)
    np.testing.assert_array_equal(saved, expected)


def test_save_image_grid_rgb_from_floats(tmp_path, open_image):
    images = np.random.default_rng(0).uniform(size=(5, 3, 8, 8))
    path = save_image_grid(images, tmp_path / "rgb.png", nrow=3)
    assert open_image(path) == ((3 * 10 + 2, 2 * 10 + 2), "RGB", "PNG")
    with Image.open(path) as image:
        saved = np.asarray(image)
    np.testing.assert_array_equal(saved, image_grid(images, nrow=3))


def test_save_images_writes_one_sortable_png_per_image(tmp_path):
    images = np.arange(12 * 4, dtype=np.uint8).reshape(12, 1, 2, 2)
    paths = save_images(images, tmp_path / "samples", prefix="digit_")
    assert [p.name for p in paths][:2] == ["digit_00.png", "digit_01.png"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [p.name for p in paths]
    for path, image in zip(paths, images):
        with Image.open(path) as saved:
            assert saved.mode == "L"
            np.testing.assert_array_equal(np.asarray(saved), image[0])


def test_save_images_rejects_a_prefix_with_a_directory(tmp_path):
    with pytest.raises(GankitError, match="prefix"):
        save_images(three_tiny_images(), tmp_path, prefix="../escape_")


def test_failed_write_keeps_the_old_file(existing_file, break_pillow_save, assert_untouched):
    break_pillow_save()
    with pytest.raises(OSError, match="simulated"):
        save_image_grid(three_tiny_images(), existing_file, nrow=2)
    assert_untouched(existing_file)
