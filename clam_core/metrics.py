"""Evaluation metrics shared by recipes, tests and benchmarks."""

import torch
from torch import Tensor


def r2_score(predicted: Tensor, target: Tensor) -> float:
    """Coefficient of determination averaged over output dimensions (sklearn's 'uniform_average'). As in
    sklearn, a dimension the target holds constant (a gripper an expert never moves) scores 1 when predicted
    exactly and 0 otherwise, instead of dividing by a zero variance."""
    residual = ((target - predicted) ** 2).sum(0)
    total = ((target - target.mean(0)) ** 2).sum(0)
    constant = total <= 1e-12
    scores = torch.where(constant, (residual <= 1e-12).float(), 1.0 - residual / total.clamp_min(1e-12))
    return float(scores.mean())


def mse(predicted: Tensor, target: Tensor) -> float:
    return float(torch.mean((predicted - target) ** 2))
