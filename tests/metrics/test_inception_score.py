import numpy as np
import pytest
import torch

from gankit.errors import GankitError
from gankit.metrics.inception_score import inception_score


def test_uniform_predictions_score_one():
    # p(y|x) = p(y) for every x: every KL term is 0, exp(0) = 1
    assert inception_score(np.full((40, 8), 1 / 8), n_splits=4) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_confident_balanced_predictions_score_the_number_of_classes():
    # one-hot rows, each contiguous split of 20 holds every one of C = 4 classes 5 times:
    # KL(onehot || uniform) = log C for every row, so IS = exp(log C) = C
    labels = np.arange(40) % 4
    probs = torch.nn.functional.one_hot(torch.from_numpy(labels), 4).float()
    assert inception_score(probs, n_splits=2) == pytest.approx((4.0, 0.0), rel=1e-12)


def test_hand_computed_two_splits():
    # split 1: rows (1, 0), (1/2, 1/2) → p(y) = (3/4, 1/4);
    #   KL_1 = log(4/3), KL_2 = ½ log(2/3) + ½ log 2 = ½ log(4/3) → IS = exp(¾ log(4/3)) = (4/3)^¾
    # split 2: two uniform rows → IS = 1
    probs = np.array([[1.0, 0.0], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]])
    first = (4 / 3) ** 0.75
    mean, std = inception_score(probs, n_splits=2)
    assert mean == pytest.approx((first + 1) / 2, rel=1e-12)
    assert std == pytest.approx((first - 1) / 2, rel=1e-12)  # population std of two values


@pytest.mark.parametrize("probs, n_splits", [
    (np.array([[2.0, -1.0], [0.5, 0.5]]), 1),  # negative entry
    (np.array([[0.3, 0.3], [0.5, 0.5]]), 1),  # a row not summing to 1 (e.g. logits)
    (np.full((3, 2), 0.5), 4),  # more splits than rows
    (np.full((3, 2), 0.5), 0),
    (np.full(4, 0.25), 1),  # not 2-D
])
def test_bad_inputs_raise_gankit_error(probs, n_splits):
    with pytest.raises(GankitError):
        inception_score(probs, n_splits=n_splits)


def test_numpy_integer_splits_are_an_integer():
    probs = np.random.default_rng(0).dirichlet(np.ones(4), size=20)
    assert inception_score(probs, n_splits=np.int64(4)) == inception_score(probs, n_splits=4)  # was refused
