"""Shared evaluation metrics."""

import pytest
import torch

from clam_core.metrics import r2_per_dimension, r2_score, r2_variance_weighted


def test_r2_scores_a_constant_target_dimension_like_sklearn() -> None:
    target = torch.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    assert r2_score(target, target) == 1.0
    off = target + torch.tensor([0.0, 0.5])  # first dimension exact, the constant second one missed
    assert r2_score(off, target) == 0.5
    below_the_mean = r2_score(torch.zeros(3, 1), torch.tensor([[0.0], [1.0], [2.0]]))
    assert below_the_mean == pytest.approx(-1.5)
    gripper = torch.full((1800, 1), 3.1) + torch.randn(1800, 1) * 1e-7  # constant but for round-off
    assert r2_score(gripper + 0.1, gripper) == 0.0


def test_variance_weighted_r2_is_not_swamped_by_a_dimension_the_target_barely_moves() -> None:
    generator = torch.Generator().manual_seed(0)
    moving = torch.randn(1000, 1, generator=generator)
    still = torch.randn(1000, 1, generator=generator) * 1e-3  # variance 1e-6: above the constant threshold
    target = torch.cat([moving, still], 1)
    predicted = torch.cat([moving, torch.zeros(1000, 1)], 1) + 0.01
    assert r2_score(predicted, target) < -10  # the still dimension's error over its variance dominates
    assert r2_variance_weighted(predicted, target) == pytest.approx(0.9999, abs=1e-3)
    assert r2_variance_weighted(torch.zeros(3, 1), torch.tensor([[0.0], [1.0], [2.0]])) == pytest.approx(-1.5)
    constant = torch.full((5, 2), 2.0)
    assert r2_variance_weighted(constant, constant) == 1.0
    assert r2_variance_weighted(constant + 1.0, constant) == 0.0


def test_r2_per_dimension_scores_each_action_and_r2_score_averages_them() -> None:
    target = torch.tensor([[0.0, 1.0, 5.0], [1.0, 3.0, 5.0], [2.0, 5.0, 5.0]])
    predicted = target.clone()
    predicted[:, 1] = 3.0  # the mean: R² 0
    predicted[:, 2] = 4.0  # a constant target missed: 0, as in sklearn
    scores = r2_per_dimension(predicted, target)
    assert scores.tolist() == [1.0, 0.0, 0.0]
    assert r2_score(predicted, target) == pytest.approx(float(scores.mean()))
