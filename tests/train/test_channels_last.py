"""train.channels_last changes the memory layout, not the maths: the same run, to float rounding."""
import pytest
import torch

from gankit.config import apply_overrides, load_config
from gankit.train.trainer import Trainer


@pytest.mark.parametrize("preset", ["mnist-dcgan", "fashion-dcgan"])
def test_channels_last_trains_the_same_networks(preset, tmp_path):
    weights = []
    for layout in ("false", "true"):
        cfg = apply_overrides(load_config(preset), [
            "data.name=digits", "train.steps=3", "train.batch_size=16", "train.fake_batch_size=16",
            "train.g_batch_size=32", "eval.every=1000", "eval.plots=false", "eval.metrics=false",
            "eval.image_metrics=[]", "train.progress=false", f"train.channels_last={layout}",
            f"train.out_dir={tmp_path / layout}", "model.d.dropout=0"])
        trainer = Trainer(cfg)
        initial = {k: v.clone() for k, v in trainer.algo.nets["G"].state_dict().items()}
        trainer.fit()
        weights.append({k: v.float().contiguous() for k, v in trainer.algo.nets["G"].state_dict().items()})
    assert any(not torch.allclose(initial[k].float(), weights[1][k], atol=1e-4) for k in initial), "did not train"
    for key in weights[0]:
        assert torch.allclose(weights[0][key], weights[1][key], rtol=1e-3, atol=1e-5), key
