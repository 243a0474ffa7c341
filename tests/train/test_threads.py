import torch

from gankit.config import apply_overrides, load_config
from gankit.train.trainer import Trainer

QUIET = ["eval.every=1000", "eval.plots=false", "eval.metrics=false", "train.progress=false", "train.steps=2"]


def _threads_during_fit(preset: str, tmp_path, extra=()) -> int:
    cfg = apply_overrides(load_config(preset), QUIET + [f"train.out_dir={tmp_path}", *extra])
    trainer = Trainer(cfg)
    seen = []
    step = trainer.algo.g_step
    trainer.algo.g_step = lambda batch: (seen.append(torch.get_num_threads()), step(batch))[1]
    trainer.fit()
    return seen[0]


def test_tiny_mlps_train_on_one_thread_and_the_process_keeps_its_setting(tmp_path):
    before = torch.get_num_threads()
    assert _threads_during_fit("circle", tmp_path) == 1  # 32-16 wide: one thread is faster
    assert torch.get_num_threads() == before
    assert _threads_during_fit("circle", tmp_path, ["train.threads=2"]) == 2  # an explicit choice wins


def test_wider_mlps_keep_torchs_thread_count(tmp_path):
    assert _threads_during_fit("grid25", tmp_path) == torch.get_num_threads()
