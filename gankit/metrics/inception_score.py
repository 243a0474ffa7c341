"""Inception Score (Salimans et al. 2016) from classifier softmax outputs.

    IS = exp(E_x KL(p(y|x) || p(y))),   p(y) = E_x p(y|x)   (the marginal over the same split)
High when each prediction is confident (low-entropy p(y|x)) and the classes are balanced
(high-entropy p(y)); it lies in [1, C] for C classes. As in the paper the N rows are cut into
n_splits contiguous parts, the score is computed on each, and the mean and (population) std of
the per-split scores are reported.
"""
from __future__ import annotations

import numpy as np

from gankit.errors import GankitError
from gankit.metrics.frechet import as_feature_matrix, is_integer

# float32 softmax rows sum to 1 within ~1e-6; a looser bound only has to catch logits or garbage.
ROW_SUM_TOLERANCE = 1e-3


def _split_score(probs: np.ndarray) -> float:
    """IS of one (n, C) block of probability rows."""
    marginal = probs.mean(axis=0, keepdims=True)  # (1, C) p(y)
    # KL terms p log(p / p_y) with 0 log 0 = 0; p > 0 implies p_y > 0, so the logs are finite.
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * (np.log(probs) - np.log(marginal)), 0.0)  # (n, C)
    return float(np.exp(terms.sum(axis=1).mean()))


def inception_score(probs: object, n_splits: int = 10) -> tuple[float, float]:
    """(mean, std) over n_splits of exp(E_x KL(p(y|x) || p(y))) for (N, C) softmax rows."""
    probs = as_feature_matrix(probs, "probs")  # (N, C)
    if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0, rtol=0.0, atol=ROW_SUM_TOLERANCE):
        raise GankitError("probs: every row must be a probability vector (>= 0, summing to 1); "
                          "apply softmax to logits first")
    if not is_integer(n_splits) or not 1 <= n_splits <= len(probs):
        raise GankitError(f"n_splits must be an integer in [1, {len(probs)}] for {len(probs)} rows, "
                          f"got {n_splits!r}")
    scores = np.array([_split_score(part) for part in np.array_split(probs, int(n_splits))])
    return float(scores.mean()), float(scores.std())
