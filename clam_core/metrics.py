"""Evaluation metrics shared by recipes, tests and benchmarks."""

import torch
from torch import Tensor

# A target dimension whose variance is at most this is constant up to float32 round-off of its mean (a
# constant 3.0 leaves a variance of ~1e-13, not 0); so is a prediction error this small.
ROUND_OFF = 1e-8


def r2_per_dimension(predicted: Tensor, target: Tensor) -> Tensor:
    """Coefficient of determination of each output dimension [A]. As in sklearn, a dimension the target holds
    constant (a gripper an expert never moves) scores 1 when predicted exactly and 0 otherwise, instead of
    dividing by a zero variance."""
    residual, variance = _residual_and_variance(predicted, target)
    constant = variance <= ROUND_OFF
    return torch.where(
        constant, (residual <= ROUND_OFF).float(), 1.0 - residual / variance.clamp_min(ROUND_OFF)
    )


def r2_score(predicted: Tensor, target: Tensor) -> float:
    """`r2_per_dimension` averaged over output dimensions (sklearn's 'uniform_average')."""
    return float(r2_per_dimension(predicted, target).mean())


def r2_variance_weighted(predicted: Tensor, target: Tensor) -> float:
    """1 - total squared error / total variance over all output dimensions (sklearn's 'variance_weighted'):
    the share of the target's variance explained. Unlike `r2_score`, a dimension the target barely moves
    (an expert that never turns the wrist: variance 1e-6 after normalisation) weighs almost nothing here
    instead of dividing its error by that tiny variance."""
    residual, variance = (total.sum() for total in _residual_and_variance(predicted, target))
    if variance <= ROUND_OFF:
        return float(residual <= ROUND_OFF)
    return float(1.0 - residual / variance)


def _residual_and_variance(predicted: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Per output dimension: the mean squared error and the target's variance."""
    return ((target - predicted) ** 2).mean(0), ((target - target.mean(0)) ** 2).mean(0)


def mse(predicted: Tensor, target: Tensor) -> float:
    return float(torch.mean((predicted - target) ** 2))
