"""InfoGAN (Chen et al. 2016): unsupervised, interpretable latent codes by mutual information.

G's input is [z | c]: noise z (model.latent_dim) and codes c: categorical codes, one-hot
(model.cond.categorical, e.g. [10]) and continuous codes ~ U(-1, 1) (model.cond.continuous).
Nothing tells G what the codes mean; instead a head Q on D's body (gankit/models/heads.py)
predicts c from G(z, c), and both maximise the variational lower bound of I(c; G(z, c)):
  L_I = E log Q(c | G(z, c)) + H(c)  >=  ... (Chen et al. 2016, eq. 4)
so the loss added is λ_cat · CE(Q_cat, c_cat) + λ_cont · NLL of c_cont under Q's factored Gaussian
(mean and log-variance per code): loss.info_cat, loss.info_cont. It is added to D's loss (training
the body and Q on fakes, whose codes are known) and to G's. Logged as d_info and g_info.
Without configured codes, the paper's MNIST choice: one 10-way categorical and 2 continuous codes.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gankit.algorithms.base import Batch, unwrap
from gankit.algorithms.gan import GAN, Context
from gankit.errors import GankitError
from gankit.losses import class_cross_entropy, gaussian_nll
from gankit.models.conditional import plain_discriminator
from gankit.models.heads import HeadedDiscriminator
from gankit.registry import ALGORITHMS, ARCHITECTURES


@ALGORITHMS.register("infogan", "InfoGAN: categorical and continuous latent codes (Chen et al. 2016)")
class InfoGAN(GAN):
    plain_d = False
    aux_name = "info"

    def __init__(self, cfg, info):
        cond = cfg.model.cond
        configured = bool(cond.categorical) or cond.continuous > 0
        self.categorical: list[int] = list(cond.categorical) if configured else [10]
        self.continuous: int = cond.continuous if configured else 2
        self.code_dim = sum(self.categorical) + self.continuous
        if cfg.reg.pack > 1:
            raise GankitError("config key 'reg.pack': PacGAN packing does not combine with infogan "
                              "(Q predicts the codes of single examples); set reg.pack to 1")
        super().__init__(cfg, info)

    def build_nets(self) -> dict[str, nn.Module]:
        model, shape = self.model_config(), tuple(self.info.shape)
        g_cfg = copy.deepcopy(model)
        g_cfg.latent_dim = model.latent_dim + self.code_dim
        G = ARCHITECTURES.get(model.arch, "model.arch")(g_cfg, shape, self.info.num_classes)["G"]
        body = plain_discriminator(model, shape, self.info.num_classes, self.cfg.reg.minibatch_std)
        q_outputs = sum(self.categorical) + 2 * self.continuous  # logits | means | log-variances
        return {"G": G, "D": HeadedDiscriminator(body, shape, q_outputs)}

    # ---------------------------------------------------------------- latent = [noise | codes]
    def codes(self, n: int, generator: torch.Generator | None, device) -> Tensor:
        """(n, code_dim): one-hot categorical codes, then continuous codes ~ U(-1, 1)."""
        parts = [F.one_hot(torch.randint(k, (n,), generator=generator, device=device), k).float()
                 for k in self.categorical]
        parts.append(torch.rand((n, self.continuous), generator=generator, device=device) * 2 - 1)
        return torch.cat(parts, dim=1)

    def latent(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        if generator is not None and generator.device != self.device:
            return self.latent_on_cpu(n, generator).to(self.device)
        return torch.cat([super().latent(n, generator), self.codes(n, generator, self.device)], dim=1)

    def latent_on_cpu(self, n: int, generator: torch.Generator) -> Tensor:
        return torch.cat([super().latent_on_cpu(n, generator), self.codes(n, generator, "cpu")], dim=1)

    def split_codes(self, z: Tensor) -> tuple[list[Tensor], Tensor]:
        """The tail of G's input -> ([one-hot (N, k) per categorical code], continuous (N, c))."""
        tail = z[:, self.cfg.model.latent_dim:]
        k_total = sum(self.categorical)
        return list(tail[:, :k_total].split(self.categorical, dim=1)), tail[:, k_total:]

    # ---------------------------------------------------------------- the recipe
    def generate(self, n: int, batch: Batch, z: Tensor | None, grad: bool) -> tuple[Tensor, Context]:
        z = self.latent(n) if z is None else z
        codes = z[:, self.cfg.model.latent_dim:]
        if not grad:
            with torch.no_grad():
                return unwrap(self.nets["G"])(z), codes
        return self.nets["G"](z), codes

    def discriminate(self, D: nn.Module, x: Tensor, ctx: Context, with_aux: bool = True):
        if not with_aux or ctx is None:  # real examples have no known codes
            return D(x), None
        logits, q = D(x, with_aux=True)
        return logits, self.info_loss(q, ctx)

    def info_loss(self, q: Tensor, codes: Tensor) -> Tensor:
        """λ_cat Σ CE(categorical) + λ_cont NLL(continuous): minus the bound L_I up to the constant H(c)."""
        w = self.cfg.loss
        k_total, c = sum(self.categorical), self.continuous
        loss = q.new_zeros(())
        for logits, onehot in zip(q[:, :k_total].split(self.categorical, dim=1),
                                  codes[:, :k_total].split(self.categorical, dim=1)):
            loss = loss + w.info_cat * class_cross_entropy(logits, onehot)
        if c:
            mean, log_var = q[:, k_total:k_total + c], q[:, k_total + c:k_total + 2 * c]
            loss = loss + w.info_cont * gaussian_nll(mean, log_var, codes[:, k_total:])
        return loss

    # ---------------------------------------------------------------- sampling
    @torch.no_grad()
    def sample(self, n: int, z: Tensor | None = None, label=None, **cond) -> Tensor:
        """`label=k` fixes the first categorical code to k (so `gankit generate --label` works)."""
        if any(v is not None for v in cond.values()):
            raise GankitError(f"infogan samples by label (its first categorical code) only; got {', '.join(cond)}")
        z = self.latent(n) if z is None else z.to(self.device).clone()
        if label is not None:
            if not self.categorical or not 0 <= int(label) < self.categorical[0]:
                raise GankitError(f"label {label}: infogan's first categorical code takes 0.."
                                  f"{self.categorical[0] - 1 if self.categorical else 'nothing (none configured)'}")
            start = self.cfg.model.latent_dim
            z[:, start:start + self.categorical[0]] = F.one_hot(
                torch.full((n,), int(label), device=z.device), self.categorical[0]).to(z.dtype)
        return self.run_generator(z)

    def traversal_latents(self, continuous_index: int = 0, steps: int = 7, seed: int = 0) -> Tensor:
        """Rows = values of the first categorical code, columns = continuous code `continuous_index`
        swept over [-2, 2] (beyond the training range U(-1, 1), as in Chen et al. fig. 2); one noise
        vector for the whole figure, other continuous codes 0. (rows·steps, latent + code_dim)."""
        rows = self.categorical[0] if self.categorical else 1
        noise = super().latent_on_cpu(1, torch.Generator().manual_seed(seed))  # (1, latent_dim)
        z = torch.zeros(rows * steps, self.cfg.model.latent_dim + self.code_dim)
        z[:, : noise.shape[1]] = noise
        start = self.cfg.model.latent_dim
        if self.categorical:
            z[:, start:start + rows] = F.one_hot(torch.arange(rows).repeat_interleave(steps), rows)
        if self.continuous:
            column = start + sum(self.categorical) + continuous_index
            z[:, column] = torch.linspace(-2.0, 2.0, steps).repeat(rows)
        return z

    def extra_figures(self, step: int, directory) -> None:
        """Code-traversal figures at each evaluation (called by the training hooks)."""
        from gankit.viz.conditional import traversal_figures

        traversal_figures(self, step, directory)
