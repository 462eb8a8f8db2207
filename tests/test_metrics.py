"""Shared evaluation metrics."""

import pytest
import torch

from clam_core.metrics import r2_score


def test_r2_scores_a_constant_target_dimension_like_sklearn() -> None:
    target = torch.tensor([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    assert r2_score(target, target) == 1.0
    off = target + torch.tensor([0.0, 0.5])  # first dimension exact, the constant second one missed
    assert r2_score(off, target) == 0.5
    below_the_mean = r2_score(torch.zeros(3, 1), torch.tensor([[0.0], [1.0], [2.0]]))
    assert below_the_mean == pytest.approx(-1.5)
    gripper = torch.full((1800, 1), 3.1) + torch.randn(1800, 1) * 1e-7  # constant but for round-off
    assert r2_score(gripper + 0.1, gripper) == 0.0
