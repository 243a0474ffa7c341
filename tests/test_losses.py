"""Adversarial losses against hand-computed values (mean reduction, sign conventions)."""
import math

import pytest
import torch

from gankit.losses import LOSSES, bce_with_target, class_cross_entropy, d_output_stats, gaussian_nll

R = torch.tensor([0.0, 2.0])   # D's outputs on two real examples
F = torch.tensor([-1.0, 1.0])  # and on two fake ones


def sp(x):  # softplus, by its definition log(1 + e^x)
    return math.log1p(math.exp(x))


def mean(values):
    return sum(values) / len(values)


def test_bce_matches_definition_and_label_smoothing():
    # t * -log(sigmoid(x)) + (1 - t) * -log(1 - sigmoid(x))
    for t in (1.0, 0.9, 0.0):
        want = mean([t * -math.log(1 / (1 + math.exp(-x))) + (1 - t) * -math.log(1 - 1 / (1 + math.exp(-x)))
                     for x in R.tolist()])
        assert bce_with_target(R, t).item() == pytest.approx(want, rel=1e-6)


def test_minimax_and_nonsaturating():
    mm, ns = LOSSES.get("minimax"), LOSSES.get("nonsaturating")
    assert mm.d_real(R, 1.0).item() == pytest.approx(mean([sp(0.0), sp(-2.0)]), rel=1e-6)
    assert mm.d_fake(F).item() == pytest.approx(mean([sp(-1.0), sp(1.0)]), rel=1e-6)
    # minimax G minimises log(1 - D(G(z))) = -softplus(x)
    assert mm.g(F).item() == pytest.approx(mean([math.log(1 - 1 / (1 + math.exp(-x))) for x in F.tolist()]), rel=1e-6)
    # non-saturating G minimises -log D(G(z)) = softplus(-x)
    assert ns.g(F).item() == pytest.approx(mean([sp(1.0), sp(-1.0)]), rel=1e-6)


def test_wasserstein_hinge_lsgan():
    w, h, ls = LOSSES.get("wasserstein"), LOSSES.get("hinge"), LOSSES.get("lsgan")
    assert w.d_real(R, 1.0).item() + w.d_fake(F).item() == pytest.approx(F.mean().item() - R.mean().item())
    assert w.g(F).item() == pytest.approx(-F.mean().item())
    assert h.d_real(R, 1.0).item() == pytest.approx(mean([1.0, 0.0]))        # relu(1 - r)
    assert h.d_fake(F).item() == pytest.approx(mean([0.0, 2.0]))             # relu(1 + f)
    assert ls.d_real(R, 1.0).item() == pytest.approx(mean([0.5, 0.5]))       # 1/2 (r - 1)^2
    assert ls.d_fake(F).item() == pytest.approx(mean([0.5, 0.5]))            # 1/2 f^2
    assert ls.g(F).item() == pytest.approx(mean([2.0, 0.0]))                 # 1/2 (f - 1)^2


def test_saturation_gradient():
    """The reason for the non-saturating loss: when D confidently rejects a fake (x << 0) the minimax
    G gradient vanishes, the non-saturating one does not."""
    x = torch.tensor([-8.0], requires_grad=True)
    LOSSES.get("minimax").g(x).backward()
    g_mm = x.grad.abs().item()
    x.grad = None
    LOSSES.get("nonsaturating").g(x).backward()
    assert g_mm < 1e-3 < x.grad.abs().item()


def test_d_output_stats():
    s = d_output_stats(R, F, probabilistic=True)
    assert s["acc_real"].item() == 0.5 and s["acc_fake"].item() == 0.5
    assert s["d_real"].item() == pytest.approx(torch.sigmoid(R).mean().item())


def test_class_cross_entropy_by_hand():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    # softmax rows: (1/2, 1/2) and (3/4, 1/4); targets 1 and 0
    want = mean([-math.log(0.5), -math.log(0.75)])
    assert class_cross_entropy(logits, torch.tensor([1, 0])).item() == pytest.approx(want, rel=1e-6)
    onehot = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert class_cross_entropy(logits, onehot).item() == pytest.approx(want, rel=1e-6)


def test_gaussian_nll_by_hand():
    mean_, log_var = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, math.log(4.0)]])
    target = torch.tensor([[1.0, 1.0]])
    # dim 0: N(1; 0, 1) -> ½ log 2π + ½; dim 1: N(1; 1, 4) -> ½ log 2π + ½ log 4; summed over dims
    want = math.log(2 * math.pi) + 0.5 + 0.5 * math.log(4.0)
    assert gaussian_nll(mean_, log_var, target).item() == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("name", sorted(LOSSES.names()))
def test_closed_form_derivatives_match_autograd(name):
    """ℓ'(out_i) · (1/N) is ∂loss/∂out_i: what hand-written backward passes start from."""
    loss = LOSSES.get(name)
    out = torch.tensor([-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.0], dtype=torch.float64, requires_grad=True)
    n = len(out)
    for label in (1.0, 0.9):
        cases = [(lambda o: loss.d_real(o, label), lambda o: loss.d_real_grad(o, label)),
                 (loss.d_fake, loss.d_fake_grad), (loss.g, loss.g_grad)]
        for value, derivative in cases:
            (want,) = torch.autograd.grad(value(out), out)
            torch.testing.assert_close(derivative(out.detach()) / n, want, rtol=1e-12, atol=1e-15)
