"""Tests for gankit/data/build.py: what data.name / data.path resolve to, the normalisation
statistics (standard, minmax, constant columns) in closed form, data.limit, the pixel range set by
G's output activation, and that building data never moves the training RNG."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.config import DataConfig
from gankit.data import build_data
from gankit.errors import GankitError

TABLE = np.array([[1.0, 10.0, 5.0], [3.0, 20.0, 5.0], [5.0, 60.0, 5.0], [7.0, 30.0, 5.0]], dtype=np.float32)


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "points.csv"
    np.savetxt(path, TABLE, delimiter=",", header="a,b,c", comments="")
    return path


def test_standard_normalisation_uses_column_mean_and_std_and_leaves_constant_columns(table):
    data = build_data(DataConfig(path=str(table), normalize="standard"))
    x = torch.from_numpy(TABLE)
    assert data.info.shift == pytest.approx([4.0, 30.0, 5.0])
    assert data.info.scale == pytest.approx([x[:, 0].std().item(), x[:, 1].std().item(), 1.0])  # unbiased std
    normalised = data.info.normalize(x)
    assert torch.allclose(normalised[:, :2].mean(0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(normalised[:, :2].std(0), torch.ones(2))
    assert torch.equal(normalised[:, 2], torch.zeros(4))  # constant column: shifted, not divided by 0


def test_minmax_maps_every_column_onto_minus_one_to_one(table):
    data = build_data(DataConfig(path=str(table), normalize="minmax"))
    assert data.info.shift == pytest.approx([4.0, 35.0, 5.0]) and data.info.scale == pytest.approx([3.0, 25.0, 1.0])
    normalised = data.info.normalize(torch.from_numpy(TABLE))
    assert torch.equal(normalised[:, :2].min(0).values, -torch.ones(2))
    assert torch.equal(normalised[:, :2].max(0).values, torch.ones(2))


def test_a_table_is_vector_data_named_after_its_file_and_limit_keeps_the_first_rows(table):
    data = build_data(DataConfig(path=str(table), limit=2))
    assert (data.info.kind, data.info.name, data.info.shape, len(data)) == ("vector", "points", [3], 2)
    assert data.info.extra["n"] == 2 and data.info.shift == [0.0] * 3 and data.info.scale == [1.0] * 3
    torch.manual_seed(0)
    rows = {tuple(r) for r in data.batch(50)[0].tolist()}
    assert rows == {tuple(TABLE[0]), tuple(TABLE[1])}


def test_npy_files_are_tables_up_to_two_dimensions_and_images_beyond(tmp_path):
    np.save(tmp_path / "table.npy", TABLE)
    images = np.random.default_rng(0).integers(0, 256, (6, 8, 8, 3), dtype=np.uint8)  # NHWC
    np.save(tmp_path / "pictures.npy", images)
    assert build_data(DataConfig(path=str(tmp_path / "table.npy"))).info.kind == "vector"
    pictures = build_data(DataConfig(path=str(tmp_path / "pictures.npy")))
    assert (pictures.info.kind, pictures.info.shape, pictures.info.name) == ("image", [3, 8, 8], "pictures")
    assert pictures.info.num_classes is None


@pytest.mark.parametrize("activation, shift, scale, low, high", [("tanh", 127.5, 127.5, -1.0, 1.0),
                                                                 ("sigmoid", 0.0, 255.0, 0.0, 1.0),
                                                                 ("none", 0.0, 255.0, 0.0, 1.0)])
def test_images_are_scaled_to_the_range_of_gs_output_activation(tmp_path, activation, shift, scale, low, high):
    pixels = np.zeros((2, 1, 4, 4), dtype=np.uint8)
    pixels[1] = 255
    np.save(tmp_path / "bw.npy", pixels)
    data = build_data(DataConfig(path=str(tmp_path / "bw.npy")), g_out_activation=activation)
    assert data.info.shift == [shift] and data.info.scale == [scale]
    torch.manual_seed(0)
    x, _ = data.batch(32)
    assert {x.min().item(), x.max().item()} == {low, high}


def test_toy_statistics_come_from_a_fixed_draw_and_leave_the_training_rng_alone():
    cfg = DataConfig(name="circle", params={"radius": 3.0}, normalize="standard")
    torch.manual_seed(11)
    state = torch.get_rng_state()
    first = build_data(cfg)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(99)
    second = build_data(cfg)
    assert first.info.shift == second.info.shift and first.info.scale == second.info.scale
    assert first.info.scale == pytest.approx([3.0 / 2**0.5] * 2, rel=0.03)  # std of r cos(theta), theta uniform
    assert first.info.extra["sampler"]["name"] == "circle" and first.info.kind == "vector"


def test_unknown_names_list_the_datasets_and_missing_paths_name_the_path(tmp_path):
    with pytest.raises(GankitError, match=r"data\.name': unknown dataset 'cirlce'; expected one of: .*circle.*"
                                          r"mnist.*\(or set data\.path"):
        build_data(DataConfig(name="cirlce"))
    with pytest.raises(GankitError, match=r"data\.path '.*nope\.csv' not found"):
        build_data(DataConfig(path=str(tmp_path / "nope.csv")))


def test_random_bytes_named_npy_are_not_valid_npy(tmp_path):
    path = tmp_path / "noise.npy"
    path.write_bytes(bytes(range(200, 256)))
    with pytest.raises(GankitError, match=r"noise\.npy is not a valid \.npy file \(no NPY header\)"):
        build_data(DataConfig(path=str(path)))  # was: "... (This file contains pickled (object) data ...)"


def test_an_npy_of_pickled_objects_is_a_one_line_error(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GankitError, match=r"objects\.npy is not a readable numeric \.npy array"):
        build_data(DataConfig(path=str(path)))  # was numpy's ValueError traceback (the rank probe)
