"""The reference: a plain, straightforward PyTorch GAN loop, as a user would write it by hand
(pytorch/examples dcgan style: two Adams, BCE, a D step, a G step, nothing else).

It trains exactly the networks gankit builds for a config (same modules, same initialisation) in
the same update order, so `benchmarks/speed.py` can time the two side by side.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F

import gankit.models  # noqa: F401  (registers architectures)
from gankit.config import Config
from gankit.data import build_data
from gankit.registry import ARCHITECTURES


def plain_loop(cfg: Config, steps: int, device: str = "cpu") -> float:
    """Train for `steps` iterations; returns the seconds the loop took (set-up excluded)."""
    torch.manual_seed(cfg.train.seed)
    data = build_data(cfg.data, cfg.model.g.out_activation)
    nets = ARCHITECTURES.get(cfg.model.arch)(cfg.model, tuple(data.info.shape), data.info.num_classes)
    G, D = nets["G"].to(device), nets["D"].to(device)
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
