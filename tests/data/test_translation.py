"""Image-to-image data (gankit/data/translation.py): edge maps, the Fashion-MNIST sources, pair folders,
unpaired folders, the batches and the errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.config import DataConfig
from gankit.data import build_data
from gankit.data.translation import TranslationSource, edge_maps
from gankit.errors import GankitError


def test_edge_maps_mark_the_outline_of_a_square_black_on_white():
    image = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    image[..., 2:6, 2:6] = 255
    edges = edge_maps(image)[0, 0]
    assert edges.dtype == torch.uint8 and set(edges.unique().tolist()) == {0, 255}
    assert edges[0, 0] == 255 and edges[4, 4] == 255  # flat background and flat inside: no edge
    assert edges[2, 3] == 0 and edges[3, 1] == 0      # either side of the square's border: edge
    # soft shading (a ramp of 10 grey levels per pixel, |grad| = 4 * 10 / 255 < 1) is no edge
    ramp = (torch.arange(8) * 10).to(torch.uint8).expand(1, 1, 8, 8)
    assert (edge_maps(ramp) == 255).all()
    assert torch.equal(edge_maps(image), edge_maps(image.clone()))  # deterministic


def fashion(name: str, **kw) -> TranslationSource:
    return build_data(DataConfig(name=name, limit=64, bank=10, **kw), "tanh")  # 28x28: no resizing


def test_fashion_edges2items_pairs_each_item_with_its_edges():
    data = fashion("fashion-edges2items")
    info = data.info
    assert info.kind == "image" and info.shape == [1, 28, 28] and len(data) == 64
    assert info.extra["source"] == {"shape": [1, 28, 28], "shift": [127.5], "scale": [127.5], "paired": True,
                                    "bank": 10}
    assert torch.equal(data.source, edge_maps(data.data))
    # metric records name the files, not domain A's description (which extra["source"] holds here)
    assert info.origin() == "fashion-edges2items (paired AtoB, targets B: 64)"
    bank_a, bank_b = data.bank
    assert bank_a.shape == bank_b.shape == (10, 1, 28, 28) and torch.equal(bank_a, edge_maps(bank_b))
    assert not any(torch.equal(b, x) for b in bank_b[:3] for x in data.data)  # the bank is the test split
    torch.manual_seed(0)
    a, b = data.pairs(16)  # normalised, and row i of A is the edge map of row i of B
    assert a.shape == b.shape == (16, 1, 28, 28) and a.min() >= -1 and a.max() <= 1
    pixels = lambda x: (x * 127.5 + 127.5).round().to(torch.uint8)  # noqa: E731
    assert torch.equal(pixels(a), edge_maps(pixels(b)))


def test_fashion_unpaired_takes_two_classes_drawn_independently():
    data = fashion("fashion-unpaired", params={"a": 7, "b": 9})
    assert data.info.extra["source"]["paired"] is False and data.info.name == "fashion-unpaired-7to9"
    assert data.bank[1] is None and len(data.bank[0]) == 10
    torch.manual_seed(0)
    a, b = data.pairs(32)
    assert a.shape == b.shape == (32, 1, 28, 28)
    with pytest.raises(GankitError, match="two different classes"):
        fashion("fashion-unpaired", params={"a": 3, "b": 3})
    with pytest.raises(GankitError, match=r"expected \{a: K, b: K\}"):
        fashion("fashion-unpaired", params={"a": 12})
    with pytest.raises(GankitError, match="'data.translation' is 'paired', but 'fashion-unpaired' is unpaired data"):
        fashion("fashion-unpaired", translation="paired")
    with pytest.raises(GankitError, match="'data.bank' must be >= 1"):
        build_data(DataConfig(name="fashion-edges2items", bank=0), "tanh")
    with pytest.raises(GankitError, match="'mnist' is not translation data; expected one of: fashion-edges2items"):
        build_data(DataConfig(name="mnist", translation="paired"), "tanh")


def save(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


@pytest.fixture
def pair_folder(tmp_path):
    """train/: 5 RGB A|B pictures 16x8 (A left: red level k; B right: green level k); val/: 2."""
    for split, count in (("train", 5), ("val", 2)):
        for k in range(count):
            pair = np.zeros((8, 16, 3), np.uint8)
            pair[:, :8, 0] = 40 * k + 10 + (100 if split == "val" else 0)
            pair[:, 8:, 1] = 40 * k + 20
            save(tmp_path / "pairs" / split / f"{k}.png", pair)
    return tmp_path / "pairs"


def test_a_folder_of_side_by_side_pairs_is_split_into_a_and_b(pair_folder):
    data = build_data(DataConfig(path=str(pair_folder), translation="paired"), "tanh")
    assert data.info.shape == [3, 8, 8] and data.info.extra["source"]["shape"] == [3, 8, 8] and len(data) == 5
    assert data.source[:, 0, 0, 0].tolist() == [10, 50, 90, 130, 170] and (data.source[:, 1] == 0).all()
    assert data.data[:, 1, 0, 0].tolist() == [20, 60, 100, 140, 180] and (data.data[:, 0] == 0).all()
    assert data.bank[0][:, 0, 0, 0].tolist() == [110, 150]  # val/ is the held-out bank
    swapped = build_data(DataConfig(path=str(pair_folder), translation="paired", direction="BtoA"), "tanh")
    assert torch.equal(swapped.source, data.data) and torch.equal(swapped.data, data.source)
    resized = build_data(DataConfig(path=str(pair_folder), translation="paired", image_size=4, channels=1), "tanh")
    assert resized.info.shape == [1, 4, 4]


def test_pair_folder_errors_are_one_line(pair_folder, tmp_path):
    save(pair_folder / "train" / "odd.png", np.zeros((8, 15, 3), np.uint8))
    with pytest.raises(GankitError, match="width 15 is odd; expected A|B pairs side by side"):
        build_data(DataConfig(path=str(pair_folder), translation="paired"), "tanh")
    with pytest.raises(GankitError, match="'data.translation' is 'pairs'; expected one of: none, paired"):
        build_data(DataConfig(path=str(pair_folder), translation="pairs"), "tanh")
    with pytest.raises(GankitError, match="no image files"):
        (tmp_path / "empty").mkdir()
        build_data(DataConfig(path=str(tmp_path / "empty"), translation="paired"), "tanh")


def test_unpaired_folders_and_their_shape_check(tmp_path):
    for sub, count, shape in (("trainA", 3, (8, 8)), ("trainB", 4, (8, 8)), ("testA", 2, (8, 8))):
        for k in range(count):
            save(tmp_path / "u" / sub / f"{k}.png", np.full((*shape, 3), 30 * k, np.uint8))
    data = build_data(DataConfig(path=str(tmp_path / "u"), translation="unpaired", image_size=8), "none")
    assert len(data.source) == 3 and len(data) == 4 and data.info.scale == [255.0] * 3
    assert data.bank[1] is None and len(data.bank[0]) == 2  # testA/ is the bank
    with pytest.raises(GankitError, match="no trainA or trainB folder"):
        build_data(DataConfig(path=str(tmp_path / "u" / "trainA"), translation="unpaired", image_size=8), "none")


def test_domains_of_other_sizes_are_refused(tmp_path, monkeypatch):
    from gankit.data import translation

    a, b = torch.zeros(2, 1, 8, 8, dtype=torch.uint8), torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    monkeypatch.setattr(translation, "_unpaired_folders", lambda cfg, root: (a, b, a, b, "mismatch"))
    with pytest.raises(GankitError, match=r"A are \[1, 8, 8\] and targets B \[1, 4, 4\]; expected the same height"):
        build_data(DataConfig(path=str(tmp_path), translation="unpaired", image_size=8), "none")


def test_pairs_in_the_root_leave_the_held_out_folder_out_of_training(pair_folder):
    """Without train/, the pairs in the root are the training set: the val/ pairs inside it were trained on
    too, so the bank's scores were not held out."""
    for k, path in enumerate(sorted((pair_folder / "train").glob("*.png"))):
        path.rename(pair_folder / f"root_{k}.png")
    (pair_folder / "train").rmdir()
    data = build_data(DataConfig(path=str(pair_folder), translation="paired"), "tanh")
    assert data.source[:, 0, 0, 0].tolist() == [10, 50, 90, 130, 170]  # the five root pairs, not val/'s two
    assert data.bank[0][:, 0, 0, 0].tolist() == [110, 150]
