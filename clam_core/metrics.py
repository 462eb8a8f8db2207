"""Evaluation metrics shared by recipes, tests and benchmarks."""

import torch
from torch import Tensor


def r2_score(predicted: Tensor, target: Tensor) -> float:
    """Coefficient of determination averaged over output dimensions (sklearn's 'uniform_average'). As in
    sklearn, a dimension the target holds constant (a gripper an expert never moves) scores 1 when predicted
    exactly and 0 otherwise, instead of dividing by a zero variance."""
    residual = ((target - predicted) ** 2).mean(0)
    variance = ((target - target.mean(0)) ** 2).mean(0)
    # Constant up to float32 round-off of the mean (a constant 3.0 leaves a variance of ~1e-13, not 0).
    constant = variance <= 1e-8
    scores = torch.where(constant, (residual <= 1e-8).float(), 1.0 - residual / variance.clamp_min(1e-8))
    return float(scores.mean())


def r2_variance_weighted(predicted: Tensor, target: Tensor) -> float:
    """1 - total squared error / total variance over all output dimensions (sklearn's 'variance_weighted'):
    the share of the target's variance explained. Unlike `r2_score`, a dimension the target barely moves
    (an expert that never turns the wrist: variance 1e-6 after normalisation) weighs almost nothing here
    instead of dividing its error by that tiny variance."""
    residual = ((target - predicted) ** 2).sum()
    variance = ((target - target.mean(0)) ** 2).sum()
    if variance <= 1e-8:
        return float(residual <= 1e-8)
    return float(1.0 - residual / variance)


def mse(predicted: Tensor, target: Tensor) -> float:
    return float(torch.mean((predicted - target) ** 2))
