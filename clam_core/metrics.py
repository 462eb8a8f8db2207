"""Evaluation metrics shared by recipes, tests and benchmarks."""

import torch
from torch import Tensor


def r2_score(predicted: Tensor, target: Tensor) -> float:
    """Coefficient of determination averaged over output dimensions (sklearn's 'uniform_average')."""
    residual = ((target - predicted) ** 2).sum(0)
    total = ((target - target.mean(0)) ** 2).sum(0).clamp_min(1e-12)
    return float((1.0 - residual / total).mean())


def mse(predicted: Tensor, target: Tensor) -> float:
    return float(torch.mean((predicted - target) ** 2))
