"""The speed benchmark's reference loop must train the same networks gankit trains."""
import torch

from benchmarks.plain import plain_loop, stock_layers
from gankit.config import apply_overrides, load_config
from gankit.models.keras_dcgan import SameConv2d, SameConvTranspose2d
from gankit.models.layers import Dropout
from gankit.registry import ARCHITECTURES


def test_stock_layers_compute_the_same_network():
    torch.manual_seed(0)
    cfg = load_config("mnist-dcgan")
    nets = ARCHITECTURES.get("keras-dcgan-mnist")(cfg.model, (1, 28, 28))
    z, x = torch.randn(3, 100), torch.rand(3, 1, 28, 28)
    G, D = nets["G"].eval(), nets["D"].eval()
    expected_fake, expected_logit = G(z), D(x)
    G, D = stock_layers(G), stock_layers(D)
    custom = [m for net in (G, D) for m in net.modules() if isinstance(m, (SameConv2d, SameConvTranspose2d, Dropout))]
    assert custom == []  # only stock torch.nn layers remain
    assert torch.allclose(G(z), expected_fake, atol=1e-5) and torch.allclose(D(x), expected_logit, atol=1e-5)


def test_plain_loop_trains():
    cfg = apply_overrides(load_config("circle"), ["train.steps=3"])
    assert plain_loop(cfg, 3) > 0
