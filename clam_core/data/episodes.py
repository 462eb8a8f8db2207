"""Episode containers: episodes stored back to back in flat tensors, with their exclusive end indices.

Two types on purpose: `ObservationEpisodes` has no actions at all, so code handed observation-only data
(video-like or action-stripped expert demos) has nothing to leak; `LabelledEpisodes` adds the actions, where
`actions[t]` is the command issued after observing `observations[t]` (DESIGN.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


def _episode_ends(lengths: Sequence[int]) -> Tensor:
    if any(length < 1 for length in lengths):
        raise ValueError(f"every episode needs at least one step, got lengths {list(lengths)}")
    return torch.as_tensor(np.cumsum(lengths), dtype=torch.long)


def _as_float_tensor(array: np.ndarray | Tensor) -> Tensor:
    return torch.as_tensor(np.asarray(array), dtype=torch.float32)


@dataclass(frozen=True)
class ObservationEpisodes:
    """Observation-only episodes: `observations` [N, D] and `episode_ends` [E] (exclusive, cumulative)."""

    observations: Tensor
    episode_ends: Tensor

    def __post_init__(self) -> None:
        if self.observations.ndim != 2:
            raise ValueError(f"observations must be [N, D], got shape {tuple(self.observations.shape)}")
        if self.episode_ends.numel() == 0 or int(self.episode_ends[-1]) != self.observations.shape[0]:
            raise ValueError("episode_ends must end at the number of observations")

    @classmethod
    def from_arrays(cls, observations: Sequence[np.ndarray | Tensor]) -> ObservationEpisodes:
        """Build from one [T_i, D] array per episode."""
        return cls(
            observations=torch.cat([_as_float_tensor(o) for o in observations]),
            episode_ends=_episode_ends([len(o) for o in observations]),
        )

    @property
    def episode_starts(self) -> Tensor:
        return torch.cat([self.episode_ends.new_zeros(1), self.episode_ends[:-1]])

    @property
    def num_episodes(self) -> int:
        return int(self.episode_ends.numel())

    @property
    def num_steps(self) -> int:
        return int(self.observations.shape[0])

    @property
    def obs_dim(self) -> int:
        return int(self.observations.shape[1])

    def _step_index(self, episode_indices: Sequence[int]) -> tuple[Tensor, Tensor]:
        starts, ends = self.episode_starts, self.episode_ends
        pieces = [torch.arange(int(starts[i]), int(ends[i])) for i in episode_indices]
        if not pieces:
            raise ValueError("cannot select zero episodes")
        lengths = [len(p) for p in pieces]
        return torch.cat(pieces), _episode_ends(lengths)

    def select(self, episode_indices: Sequence[int]) -> ObservationEpisodes:
        steps, ends = self._step_index(episode_indices)
        return ObservationEpisodes(self.observations[steps], ends)

    def _split_point(self, num_episodes: int) -> int:
        if not 0 < num_episodes < self.num_episodes:
            last = self.num_episodes - 1
            raise ValueError(f"{self.num_episodes} episodes split after 1 to {last}, not {num_episodes}")
        return int(self.episode_ends[num_episodes - 1])

    def split(self, num_episodes: int) -> tuple[ObservationEpisodes, ObservationEpisodes]:
        """The first `num_episodes` episodes and the rest, as views that share this set's memory."""
        step = self._split_point(num_episodes)
        ends = self.episode_ends
        return (
            ObservationEpisodes(self.observations[:step], ends[:num_episodes]),
            ObservationEpisodes(self.observations[step:], ends[num_episodes:] - step),
        )

    def to(self, device: torch.device | str) -> ObservationEpisodes:
        return ObservationEpisodes(self.observations.to(device), self.episode_ends.to(device))


@dataclass(frozen=True)
class LabelledEpisodes(ObservationEpisodes):
    """Episodes with actions [N, A]; `actions[t]` is issued after `observations[t]` and leads to `t + 1`."""

    actions: Tensor

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.actions.ndim != 2:
            raise ValueError("actions must be a [N, A] tensor")
        if self.actions.shape[0] != self.observations.shape[0]:
            raise ValueError(f"{self.actions.shape[0]} actions for {self.observations.shape[0]} observations")

    @classmethod
    def from_arrays(  # type: ignore[override]
        cls, observations: Sequence[np.ndarray | Tensor], actions: Sequence[np.ndarray | Tensor]
    ) -> LabelledEpisodes:
        if len(observations) != len(actions):
            raise ValueError(f"{len(observations)} observation episodes but {len(actions)} action episodes")
        return cls(
            observations=torch.cat([_as_float_tensor(o) for o in observations]),
            episode_ends=_episode_ends([len(o) for o in observations]),
            actions=torch.cat([_as_float_tensor(a) for a in actions]),
        )

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[1])

    def observations_only(self) -> ObservationEpisodes:
        """The same episodes with the actions dropped: what an observation-only consumer gets."""
        return ObservationEpisodes(self.observations, self.episode_ends)

    def select(self, episode_indices: Sequence[int]) -> LabelledEpisodes:
        steps, ends = self._step_index(episode_indices)
        return LabelledEpisodes(self.observations[steps], ends, self.actions[steps])

    def split(self, num_episodes: int) -> tuple[LabelledEpisodes, LabelledEpisodes]:  # type: ignore[override]
        step = self._split_point(num_episodes)
        first, rest = self.observations_only().split(num_episodes)
        return (
            LabelledEpisodes(first.observations, first.episode_ends, self.actions[:step]),
            LabelledEpisodes(rest.observations, rest.episode_ends, self.actions[step:]),
        )

    def to(self, device: torch.device | str) -> LabelledEpisodes:
        return LabelledEpisodes(
            self.observations.to(device), self.episode_ends.to(device), self.actions.to(device)
        )


def concat_observations(parts: Sequence[ObservationEpisodes]) -> ObservationEpisodes:
    """Observation-only union of several episode sets (e.g. play + expert for LAM pre-training)."""
    offsets = np.cumsum([0] + [p.num_steps for p in parts[:-1]])
    ends = torch.cat([p.episode_ends.cpu() + int(off) for p, off in zip(parts, offsets, strict=True)])
    return ObservationEpisodes(torch.cat([p.observations.cpu() for p in parts]), ends)
