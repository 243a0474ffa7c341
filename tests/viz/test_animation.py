"""Tests for gankit/viz/animation.py."""
import pytest
from PIL import Image

from gankit.errors import GankitError
from gankit.viz.animation import make_gif


def write_frames(directory, sizes) -> list:
    """One solid-colour PNG per size, each colour different (GIF writers merge identical frames)."""
    paths = []
    for index, size in enumerate(sizes):
        path = directory / f"frame{index}.png"
        Image.new("RGB", size, color=(60 * index, 255 - 60 * index, 0)).save(path)
        paths.append(path)
    return paths


@pytest.mark.parametrize("fps, milliseconds", [(2, 500), (4, 250), (10, 100)])
def test_gif_has_every_frame_and_the_fps_delay(tmp_path, fps, milliseconds):
    frames = write_frames(tmp_path, [(16, 12)] * 3)
    path = make_gif(frames, tmp_path / "anim" / "training.gif", fps=fps)
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 3
        assert gif.info["loop"] == 0  # loops forever
        for index in range(3):
            gif.seek(index)
            assert gif.info["duration"] == milliseconds  # 1000 / fps


def test_frames_are_resized_to_the_first_frame(tmp_path):
    frames = write_frames(tmp_path, [(16, 12), (32, 30), (8, 8)])
    path = make_gif(frames, tmp_path / "mixed.gif")
    with Image.open(path) as gif:
        assert gif.size == (16, 12)
        assert gif.n_frames == 3
        gif.seek(1)
        # frame 1 was solid (60, 195, 0); resizing a solid image keeps its colour
        assert gif.convert("RGB").getpixel((8, 6)) == (60, 195, 0)


def test_single_frame_gif(tmp_path):
    path = make_gif(write_frames(tmp_path, [(5, 5)]), tmp_path / "one.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 1 and gif.size == (5, 5)


def test_empty_frame_list_is_a_user_error(tmp_path):
    with pytest.raises(GankitError, match="no frames"):
        make_gif([], tmp_path / "none.gif")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fps", [0, -1.0])
def test_non_positive_fps_is_a_user_error(tmp_path, fps):
    with pytest.raises(GankitError, match="fps"):
        make_gif(write_frames(tmp_path, [(4, 4)]), tmp_path / "x.gif", fps=fps)


def test_unreadable_frame_keeps_the_old_file(tmp_path, existing_file, assert_untouched):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("hello")
    frames = write_frames(tmp_path, [(4, 4)]) + [not_an_image, tmp_path / "missing.png"]
    with pytest.raises(GankitError, match="notes.png"):
        make_gif(frames, existing_file)
    with pytest.raises(GankitError, match="missing.png"):
        make_gif(frames[:1] + frames[2:], existing_file)
    assert_untouched(existing_file)


def test_failed_write_keeps_the_old_file(tmp_path, existing_file, break_pillow_save, assert_untouched):
    frames = write_frames(tmp_path, [(4, 4)] * 2)
    break_pillow_save()
    with pytest.raises(OSError, match="simulated"):
        make_gif(frames, existing_file)
    assert_untouched(existing_file)


def test_at_most_three_rgb_frames_are_alive_while_the_gif_is_written(tmp_path, monkeypatch):
    """All frames were loaded as RGB before Pillow started (which keeps its own 1-byte copies): 4 bytes a
    pixel per frame. Now at most three are alive at once, however many frames: the first (the image that is
    saved), the one Pillow is converting and the one just loaded."""
    import weakref

    import gankit.viz.animation as animation

    alive: list[weakref.ref] = []
    most = 0
    real_load = animation._load_rgb

    def counted(frame_path):
        nonlocal most
        frame = real_load(frame_path)
        alive.append(weakref.ref(frame))
        most = max(most, sum(ref() is not None for ref in alive))
        return frame

    monkeypatch.setattr(animation, "_load_rgb", counted)
    frames = write_frames(tmp_path, [(16, 12)] * 5)  # five distinct colours
    with Image.open(make_gif(frames, tmp_path / "a.gif")) as gif:
        assert gif.n_frames == 5
    assert len(alive) == 5 and most <= 3, most  # all five before Pillow started
