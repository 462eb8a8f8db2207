"""Per-feature mean/std normalisation, saved next to every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

# Features that barely vary (padding, fixed joints) keep unit scale instead of exploding.
MIN_STD = 1e-4


@dataclass
class NormStats:
    """`mean`/`std` per feature key (e.g. "observation.state", "action")."""

    mean: dict[str, Tensor]
    std: dict[str, Tensor]

    @classmethod
    def fit(cls, features: dict[str, Tensor]) -> NormStats:
        mean, std = {}, {}
        for key, values in features.items():
            values = values.float().reshape(-1, values.shape[-1])
            mean[key] = values.mean(0).cpu()
            spread = values.std(0).cpu() if values.shape[0] > 1 else torch.ones(values.shape[-1])
            std[key] = torch.where(spread < MIN_STD, torch.ones_like(spread), spread)
        return cls(mean, std)

    def normalize(self, key: str, values: Tensor) -> Tensor:
        return (values - self.mean[key].to(values.device)) / self.std[key].to(values.device)

    def to(self, device: torch.device | str) -> NormStats:
        """The same statistics on `device`, so per-batch normalisation there copies nothing."""
        return NormStats(
            {k: v.to(device) for k, v in self.mean.items()}, {k: v.to(device) for k, v in self.std.items()}
        )

    def unnormalize(self, key: str, values: Tensor) -> Tensor:
        return values * self.std[key].to(values.device) + self.mean[key].to(values.device)

    def state_dict(self) -> dict[str, Tensor]:
        tensors = {f"{key}.mean": value for key, value in self.mean.items()}
        tensors.update({f"{key}.std": value for key, value in self.std.items()})
        return {key: value.contiguous() for key, value in tensors.items()}

    @classmethod
    def from_state_dict(cls, tensors: dict[str, Tensor]) -> NormStats:
        keys = {name.rsplit(".", 1)[0] for name in tensors}
        missing = [k for k in sorted(keys) if f"{k}.mean" not in tensors or f"{k}.std" not in tensors]
        if missing:
            raise ValueError(f"normalisation stats lack mean or std for {missing}")
        return cls({k: tensors[f"{k}.mean"] for k in keys}, {k: tensors[f"{k}.std"] for k in keys})
