"""Transition windows for latent action models: `(o_{t-H}, ..., o_t, o_{t+1})` and, when labelled, `a_t`.

The alignment convention lives in exactly one function, `transition_windows`; every sampler, relabeller and
evaluation goes through it. Samplers keep all data and indices on the training device and draw batches with
one `randint` + one gather, so the hot loop does no per-item Python work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.train.distributed import SINGLE_PROCESS, DistributedContext


def valid_timesteps(episode_ends: Tensor, context: int, chunk: int = 1) -> Tensor:
    """Global indices t whose window `t-context .. t+chunk` lies inside one episode.

    `chunk` > 1 also requires the next `chunk - 1` transitions to exist (for action/latent chunks).
    """
    if context < 0 or chunk < 1:
        raise ValueError(f"context must be >= 0 and chunk >= 1, got {context} and {chunk}")
    ends = episode_ends.cpu()
    starts = torch.cat([ends.new_zeros(1), ends[:-1]])
    pieces = [
        torch.arange(int(s) + context, max(int(s) + context, int(e) - chunk))
        for s, e in zip(starts, ends, strict=True)
    ]
    return torch.cat(pieces) if pieces else torch.empty(0, dtype=torch.long)


def transition_windows(
    observations: Tensor, t: Tensor, context: int, actions: Tensor | None = None
) -> tuple[Tensor, Tensor | None]:
    """THE alignment function. For each index in `t` [B]: observations `o_{t-context .. t+1}` as
    [B, context + 2, D] and, if `actions` is given, `a_t` [B, A] (the command issued after `o_t`)."""
    offsets = torch.arange(-context, 2, device=t.device)
    windows = observations[t[:, None] + offsets[None, :]]
    return windows, (actions[t] if actions is not None else None)


@dataclass(frozen=True)
class ObservationBatch:
    """Observation windows [B, H+2, D]; by construction this type carries no actions."""

    observations: Tensor


@dataclass(frozen=True)
class LabelledBatch:
    observations: Tensor
    actions: Tensor


class ObservationWindowSampler:
    """Samples observation windows from observation-only data. Given labelled episodes it drops the actions
    first, so the observation-only path cannot return them."""

    def __init__(
        self,
        episodes: ObservationEpisodes,
        context: int,
        device: torch.device | str,
        seed: int = 0,
        shard: DistributedContext = SINGLE_PROCESS,
    ) -> None:
        self.shard = shard
        if isinstance(episodes, LabelledEpisodes):
            episodes = episodes.observations_only()
        self.context = context
        self.device = torch.device(device)
        self.observations = episodes.observations.to(self.device)
        self.timesteps = valid_timesteps(episodes.episode_ends, context).to(self.device)
        if self.timesteps.numel() == 0:
            raise ValueError(f"no episode is long enough for a window of context {context}")
        self.generator = torch.Generator(device=self.device).manual_seed(seed)

    def __len__(self) -> int:
        return int(self.timesteps.numel())

    def _draw(self, batch_size: int) -> Tensor:
        picks = torch.randint(len(self), (batch_size,), device=self.device, generator=self.generator)
        return self.timesteps[picks]

    def sample(self, batch_size: int) -> ObservationBatch:
        windows, _ = transition_windows(self.observations, self._draw(batch_size), self.context)
        return ObservationBatch(windows)

    def iterate(self, batch_size: int) -> Iterator[ObservationBatch]:
        """Every window once, in order (for relabelling and evaluation)."""
        for chunk in self.timesteps.split(batch_size):
            yield ObservationBatch(transition_windows(self.observations, chunk, self.context)[0])


class LabelledWindowSampler(ObservationWindowSampler):
    """Samples `(o_{t-H..t+1}, a_t)` from labelled episodes."""

    def __init__(
        self,
        episodes: LabelledEpisodes,
        context: int,
        device: torch.device | str,
        seed: int = 0,
        shard: DistributedContext = SINGLE_PROCESS,
    ) -> None:
        super().__init__(episodes, context, device, seed, shard)
        self.actions = episodes.actions.to(self.device)

    def sample(self, batch_size: int) -> LabelledBatch:  # type: ignore[override]
        windows, actions = transition_windows(
            self.observations, self._draw(batch_size), self.context, self.actions
        )
        return LabelledBatch(windows, actions)

    def iterate(self, batch_size: int) -> Iterator[LabelledBatch]:  # type: ignore[override]
        for chunk in self.timesteps.split(batch_size):
            windows, actions = transition_windows(self.observations, chunk, self.context, self.actions)
            yield LabelledBatch(windows, actions)
