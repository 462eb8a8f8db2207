"""Temporal ensembling of action chunks, as in ACT.

Every step the policy predicts a chunk of k actions for steps t .. t+k-1. The action executed at step t is
the weighted mean of every prediction made for t, with weights `w_i = exp(-m * i)` where i = 0 is the oldest
prediction. A prediction's i is the number of predictions for that step that came before it, so the running
weighted sums can be kept per future step and shifted by one each call.
"""

from __future__ import annotations

import torch
from torch import Tensor


class TemporalEnsembler:
    def __init__(self, coeff: float, chunk_size: int) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        self.coeff = coeff
        self.chunk_size = chunk_size
        self.reset()

    def reset(self) -> None:
        self._weighted_sum: Tensor | None = None  # [k, A]: sum of w * prediction for steps t .. t+k-1
        self._weight_total: Tensor | None = None  # [k]
        self._count: Tensor | None = None  # [k]: predictions received per future step

    def update(self, chunk: Tensor) -> Tensor:
        """Add the chunk predicted now ([k, A]) and return the action to execute now ([A])."""
        if chunk.ndim != 2 or chunk.shape[0] != self.chunk_size:
            raise ValueError(f"expected a [{self.chunk_size}, A] chunk, got {tuple(chunk.shape)}")
        chunk = chunk.double()
        if self._weighted_sum is None:
            self._weighted_sum = torch.zeros_like(chunk)
            self._weight_total = chunk.new_zeros(self.chunk_size)
            self._count = chunk.new_zeros(self.chunk_size)
        weights = torch.exp(-self.coeff * self._count)
        self._weighted_sum += weights[:, None] * chunk
        self._weight_total += weights
        self._count += 1
        action = self._weighted_sum[0] / self._weight_total[0]
        # Step t is done: shift so slot 0 is step t+1, and open an empty slot for step t+k.
        self._weighted_sum = torch.cat([self._weighted_sum[1:], torch.zeros_like(chunk[:1])])
        self._weight_total = torch.cat([self._weight_total[1:], chunk.new_zeros(1)])
        self._count = torch.cat([self._count[1:], chunk.new_zeros(1)])
        return action.float()
