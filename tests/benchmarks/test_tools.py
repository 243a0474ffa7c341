"""The benchmark tools run (tiny sizes): their numbers live in benchmarks/RESULTS.md, not here."""
from benchmarks import profile, speed


def test_speed_prints_a_row_per_workload(capsys):
    speed.main(["--workloads", "circle", "--rounds", "1", "--scale", "0.01"])
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| circle |")]
    assert len(row) == 1 and row[0].count("|") == 9
    ratio = row[0].split("|")[4].strip()  # "1.23x (1.23-1.23)": the median and the per-round range
    median, low, high = float(ratio.split("x")[0]), *map(float, ratio.split("(")[1].rstrip(")").split("-"))
    assert 0 < low <= median <= high


def test_profile_prints_the_top_operators(capsys):
    profile.main(["circle", "--steps", "3", "--rows", "5"])
    out = capsys.readouterr().out
    assert "aten::" in out and "Self CPU time total" in out


def test_profile_wall_clock_times_each_operator(capsys):
    profile.main(["circle", "--steps", "3", "--rows", "5", "--wall"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| ms/step")]
    assert len(rows) == 5 and all(float(row.split("|")[1]) > 0 for row in rows)
    # the manual MLP steps run matmuls: addmm or mm is among the top operators of circle
    assert any(row.split("|")[4].strip().startswith(("addmm.", "mm.")) for row in rows), rows


def test_warmup_steps_are_not_timed(tmp_path, monkeypatch):
    """--warmup: the trainer takes the untimed steps first, then the timed ones continue the same run."""
    seen = []
    original = speed.Trainer.fit

    def fit(self):
        seen.append((self.step, self.cfg.train.steps))
        return original(self)

    monkeypatch.setattr(speed.Trainer, "fit", fit)
    cfg, _ = speed.workload_config("circle", ["train.steps=4"], "cpu", str(tmp_path))
    assert speed.gankit_seconds(cfg, warmup=2) > 0
    assert speed.gankit_seconds(cfg, warmup=2) > 0  # a second round times the same 4 steps
    assert seen == [(0, 2), (2, 6), (0, 2), (2, 6)]
    assert cfg.train.steps == 4


def test_profile_floor_sets_gankit_beside_its_matrix_products(capsys):
    """--floor: the plain loop, gankit, and gankit's own matrix products timed alone (a lower bound)."""
    profile.main(["circle", "--steps", "6", "--floor"])
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in capsys.readouterr().out.splitlines()
            if line.startswith("| ") and not line.startswith("| ms per")}
    ms = {name: float(value.split()[0]) for name, value in rows.items()}
    products = ms["gankit's matrix products and convolutions alone, each timed on its own"]
    # No timing order is asserted (products < gankit held on a quiet machine, not on a shared one): only that
    # each row was measured and that the derived rows are the arithmetic of the measured ones.
    assert products > 0 and ms["gankit"] > 0 and ms["plain loop"] > 0
    assert abs(ms["gankit above them"] - (ms["gankit"] - products)) < 2e-3
    assert abs(ms["time for 2x the plain loop"] - ms["plain loop"] / 2) < 2e-3


def test_matmul_recorder_keeps_products_only():
    """Only matrix products and convolutions are recorded, with operands copied (later in-place updates do
    not change them), and their FLOPs are counted."""
    import torch

    a, b, image, kernel = torch.randn(4, 3), torch.randn(3, 5), torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)
    with profile.MatmulRecorder() as recorder:
        product = a @ b
        torch.relu(product)
        torch.nn.functional.conv2d(image, kernel)
        a.add_(1.0)
    assert [func.overloadpacket.__name__ for func, _, _ in recorder.calls] == ["mm", "convolution"]
    assert torch.allclose(recorder.calls[0][1][0], a - 1.0)
    assert recorder.replay_seconds(repeats=2) > 0
    assert recorder.flops() == 2 * 4 * 3 * 5 + 2 * (3 * 3 * 3) * (2 * 3 * 3)  # mm + conv: 2 x outputs x (C_in k²)
