"""K seeds of a toy MLP GAN trained at once, as one stacked model: a seed sweep's throughput.

    python -m benchmarks.seeds circle [--seeds 8] [--steps 10001] [--compare-steps 1500]

Each seed keeps its own G, D and Adam state; the K copies of a Linear layer become one batched
matmul (`torch.baddbmm` over a (K, in, out) weight), so one PyTorch op serves K seeds and the
per-op overhead that bounds a toy GAN on a CPU (benchmarks/RESULTS.md, "Speed") is paid once.
Per seed this is the same maths as training it alone: losses are summed over seeds (a seed's
gradient is its own), and Adam is elementwise. The random streams differ from `--seed k` runs.
Supports MLP presets without penalties, EMA, BatchNorm or dropout (circle, quadratic, grid25-vanilla).
Reports seed-iterations/s against the plain loop's and gankit's iterations/s, and each seed's result.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import gankit.models  # noqa: F401  (registers architectures)
from benchmarks.plain import plain_loop
from benchmarks.speed import gankit_seconds, workload_config
from gankit.algorithms.lean_adam import LeanAdam
from gankit.config import Config, load_config
from gankit.data import build_data
from gankit.errors import GankitError
from gankit.metrics.toy import vector_metrics
from gankit.registry import ARCHITECTURES

ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.ELU, nn.SiLU)


class StackedMLP(nn.Module):
    """K copies of one MLP (gankit's MLPGenerator / MLPDiscriminator) as one module on (K, n, features)."""

    def __init__(self, nets: list[nn.Module]):
        super().__init__()
        leaves = [[m for m in net.modules() if not list(m.children())] for net in nets]
        self.layers = nn.ModuleList()
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        for column in zip(*leaves):  # the same layer in every copy; modules() is forward order for these nets
            first = column[0]
            if isinstance(first, nn.Linear):
                self.weights.append(nn.Parameter(torch.stack([m.weight.detach().t() for m in column])))  # (K, in, out)
                self.biases.append(nn.Parameter(torch.stack([m.bias.detach()[None] for m in column])))  # (K, 1, out)
                self.layers.append(nn.Identity())
            elif isinstance(first, ELEMENTWISE):
                self.layers.append(first)
            else:
                raise GankitError(f"benchmarks.seeds stacks Linear layers and elementwise activations, not "
                                  f"{type(first).__name__}")
        self.linear_at = [i for i, column in enumerate(zip(*leaves)) if isinstance(column[0], nn.Linear)]

    def forward(self, x: Tensor) -> Tensor:  # (K, n, in) -> (K, n, out)
        linear = iter(zip(self.weights, self.biases))
        for i, layer in enumerate(self.layers):
            if i in self.linear_at:
                w, b = next(linear)
                x = torch.baddbmm(b, x, w)
            else:
                x = layer(x)
        return x


def build(cfg: Config, seeds: list[int], shape: tuple[int, ...]) -> tuple[StackedMLP, StackedMLP]:
    if cfg.model.arch != "mlp" or cfg.reg.r1_gamma or cfg.reg.gp_weight or cfg.reg.ema_beta or cfg.reg.pack > 1:
        raise GankitError("benchmarks.seeds supports MLP presets without penalties, EMA or packing")
    if cfg.loss.name != "nonsaturating" or cfg.train.algorithm != "gan":
        raise GankitError("benchmarks.seeds supports the non-saturating GAN")
    pairs = []
    for seed in seeds:
        torch.manual_seed(seed)
        pairs.append(ARCHITECTURES.get("mlp")(cfg.model, shape, None))
    return StackedMLP([p["G"] for p in pairs]), StackedMLP([p["D"] for p in pairs])


def bce(logits: Tensor, target: float) -> Tensor:
    """Mean over each seed's batch, summed over seeds: -log σ(x) = softplus(-x), -log(1-σ(x)) = softplus(x)."""
    return (F.softplus(-logits) if target == 1.0 else F.softplus(logits)).mean(dim=(1, 2)).sum()


def update(opt: torch.optim.Optimizer, loss: Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def train_stacked(cfg: Config, seeds: list[int], steps: int):
    """The preset's update order (gankit.algorithms.gan) for every seed at once: (G, seconds, data)."""
    data = build_data(cfg.data, cfg.model.g.out_activation).to("cpu")
    G, D = build(cfg, seeds, tuple(data.info.shape))
    og, od, t = cfg.optim.g, cfg.optim.d, cfg.train
    opt_g = LeanAdam(G.parameters(), lr=og.lr, betas=tuple(og.betas), eps=og.eps)
    opt_d = LeanAdam(D.parameters(), lr=od.lr, betas=tuple(od.betas), eps=od.eps)
    k, latent = len(seeds), cfg.model.latent_dim
    n_real, n_fake, n_g = t.batch_size, t.fake_batch_size or t.batch_size, t.g_batch_size or t.batch_size

    def noise(n: int) -> Tensor:  # (K, n, latent)
        return torch.randn(k, n, latent) if cfg.model.latent == "normal" else torch.rand(k, n, latent) * 2 - 1

    torch.manual_seed(seeds[0])
    start = time.perf_counter()
    for _ in range(steps):
        real = data.batch(k * n_real)[0].view(k, n_real, -1)
        with torch.no_grad():
            fake = G(noise(n_fake))
        if t.d_update == "split":
            update(opt_d, bce(D(real), 1.0))
            update(opt_d, bce(D(fake), 0.0))
        else:
            update(opt_d, bce(D(real), 1.0) + bce(D(fake), 0.0))
        for p in D.parameters():
            p.requires_grad_(False)
        update(opt_g, bce(D(G(noise(n_g))), 1.0))
        for p in D.parameters():
            p.requires_grad_(True)
    return G, time.perf_counter() - start, data


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("preset")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=None, help="default: the preset's")
    parser.add_argument("--compare-steps", type=int, default=1500, help="steps of the plain/gankit timing runs")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    cfg = load_config(args.preset)
    steps = args.steps or cfg.train.steps
    seeds = list(range(args.seeds))
    torch.set_num_threads(args.threads)
    G, seconds, data = train_stacked(cfg, seeds, steps)
    rate = len(seeds) * steps / seconds
    print(f"# {time.strftime('%Y-%m-%d')} | {args.preset} | {len(seeds)} seeds x {steps} steps in {seconds:.1f} s "
          f"| {args.threads} thread(s) | torch {torch.__version__}")
    info = data.info
    with torch.no_grad():
        z = torch.randn(len(seeds), 2500, cfg.model.latent_dim)
        samples = [info.denormalize(points) for points in G(z if cfg.model.latent == "normal" else z.uniform_(-1, 1))]
    real = info.denormalize(data.batch(2500)[0])
    for seed, points in zip(seeds, samples):
        found = vector_metrics(real, points, dataset=info.name, modes=info.modes, mode_std=info.mode_std)
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in found.items() if isinstance(v, float)))
    plain_cfg, n = workload_config(args.preset, [f"train.steps={args.compare_steps}"], "cpu", "/tmp/gankit-seeds")
    plain = args.compare_steps / plain_loop(plain_cfg, args.compare_steps)
    ours = args.compare_steps / gankit_seconds(plain_cfg)
    print(f"| seed-iterations/s stacked | plain loop it/s | gankit it/s | stacked / plain | stacked / gankit |")
    print(f"|---|---|---|---|---|")
    print(f"| {rate:.0f} | {plain:.0f} | {ours:.0f} | {rate / plain:.1f}x | {rate / ours:.1f}x |")


if __name__ == "__main__":
    main()
