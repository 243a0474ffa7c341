"""The reference: a plain, straightforward PyTorch GAN loop, as a user would write it by hand
(pytorch/examples dcgan style: two Adams, BCE, a D step, a G step, nothing else).

It trains the networks gankit builds for a config (same architecture, same initial weights) in the
same update order, so `benchmarks/speed.py` can time the two side by side. Where gankit's layers
have their own implementation (TensorFlow "same" padding, the GEMM path for one-channel
convolutions, dropout masks from `rand`), the plain loop gets the stock torch.nn layers a user would write instead
(`stock_layers`): the comparison is gankit against hand-written PyTorch, not against itself.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

import gankit.models  # noqa: F401  (registers architectures)
from gankit.config import Config
from gankit.data import build_data
from gankit.models.keras_dcgan import SameConv2d, SameConvTranspose2d, same_padding
from gankit.models.layers import Dropout
from gankit.registry import ARCHITECTURES


class PaddedConv2d(nn.Module):
    """What a user writes for TensorFlow's "same" padding: nn.ZeroPad2d, then an nn.Conv2d."""

    def __init__(self, conv: SameConv2d):
        super().__init__()
        self.conv = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                              bias=conv.bias is not None)
        self.conv.load_state_dict(conv.state_dict())

    def forward(self, x):
        top, bottom = same_padding(x.shape[2], self.conv.kernel_size[0], self.conv.stride[0])
        left, right = same_padding(x.shape[3], self.conv.kernel_size[1], self.conv.stride[1])
        if (top, left) == (bottom, right):  # symmetric: the conv's own padding
            return F.conv2d(x, self.conv.weight, self.conv.bias, self.conv.stride, (top, left))
        return self.conv(F.pad(x, (left, right, top, bottom)))


def stock_layers(net: nn.Module) -> nn.Module:
    """The same network (same weights) built from stock torch.nn layers, in place."""
    for name, child in net.named_children():
        if isinstance(child, SameConv2d):
            setattr(net, name, PaddedConv2d(child))
        elif isinstance(child, SameConvTranspose2d) and child.crop is None:
            stock = nn.ConvTranspose2d(child.in_channels, child.out_channels, child.kernel_size, child.stride,
                                       child.padding, bias=child.bias is not None)
            stock.load_state_dict(child.state_dict())
            setattr(net, name, stock)
        elif isinstance(child, Dropout):  # gankit's CPU masks come from rand; a user writes nn.Dropout
            setattr(net, name, nn.Dropout(child.p).train(child.training))
        else:  # a cropped transposed convolution is already stock torch + a slice
            stock_layers(child)
    return net


def plain_loop(cfg: Config, steps: int, device: str = "cpu") -> float:
    """Train for `steps` iterations; returns the seconds the loop took (set-up excluded)."""
    torch.manual_seed(cfg.train.seed)
    data = build_data(cfg.data, cfg.model.g.out_activation)
    nets = ARCHITECTURES.get(cfg.model.arch)(cfg.model, tuple(data.info.shape), data.info.num_classes)
    G, D = stock_layers(nets["G"]).to(device), stock_layers(nets["D"]).to(device)
    og, od = cfg.optim.g, cfg.optim.d
    opt_g = torch.optim.Adam(G.parameters(), lr=og.lr, betas=tuple(og.betas), eps=og.eps)
    opt_d = torch.optim.Adam(D.parameters(), lr=od.lr, betas=tuple(od.betas), eps=od.eps)
    t = cfg.train
    n_real, n_fake, n_g = t.batch_size, t.fake_batch_size or t.batch_size, t.g_batch_size or t.batch_size
    latent = cfg.model.latent_dim
    if hasattr(data, "data"):  # in-memory dataset: one float tensor on the device, random indices
        pool = data.info.normalize(data.data.float()).to(device)

        def real_batch():
            return pool[torch.randint(len(pool), (n_real,), device=device)]
    else:
        sampler = data.sampler

        def real_batch():
            return data.info.normalize(sampler.sample(n_real, device=device))

    def noise(n):
        return torch.randn(n, latent, device=device) if cfg.model.latent == "normal" else torch.rand(n, latent, device=device) * 2 - 1

    ones_r, zeros_f = torch.ones(n_real, device=device), torch.zeros(n_fake, device=device)
    ones_g = torch.ones(n_g, device=device)
    start = time.perf_counter()
    for _ in range(steps):
        # ---- D step: real -> 1, fake -> 0
        real = real_batch()
        fake = G(noise(n_fake))
        if t.d_update == "split":  # Keras style: one update on real, one on fake
            D.zero_grad()
            F.binary_cross_entropy_with_logits(D(real), ones_r).backward()
            opt_d.step()
            D.zero_grad()
            F.binary_cross_entropy_with_logits(D(fake.detach()), zeros_f).backward()
            opt_d.step()
        else:
            D.zero_grad()
            loss_d = (F.binary_cross_entropy_with_logits(D(real), ones_r)
                      + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros_f))
            loss_d.backward()
            opt_d.step()
        # ---- G step: make D say 1
        G.zero_grad()
        F.binary_cross_entropy_with_logits(D(G(noise(n_g))), ones_g).backward()
        opt_g.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start
