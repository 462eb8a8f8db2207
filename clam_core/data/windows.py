"""Transition windows for latent action models: `(o_{t-H}, ..., o_t, o_{t+1})` and, when labelled, `a_t`.

The alignment convention lives in exactly one function, `transition_windows`; every sampler, relabeller and
evaluation goes through it. Samplers keep all data and indices on the training device and draw batches with
one `randint` + one gather, so the hot loop does no per-item Python work.

Given normalisation statistics, samplers hold the raw observations and normalise each batch after the gather
(bit-identical to normalising first, as the operation is elementwise): image datasets then live in memory
once, not once raw and once normalised per consumer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.keys import ACTION_KEY, STATE_KEY
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
        stats: NormStats | None = None,
    ) -> None:
        """`stats` (keys `observation.state` for the whole observation vector and `action`): normalise every
        batch with them; without, the episodes are served as they are."""
        self.shard = shard
        if isinstance(episodes, LabelledEpisodes):
            episodes = episodes.observations_only()
        self.context = context
        self.device = torch.device(device)
        self.stats = stats.to(self.device) if stats is not None else None
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

    def _windows(self, t: Tensor, actions: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        windows, labels = transition_windows(self.observations, t, self.context, actions)
        return (windows if self.stats is None else self.stats.normalize(STATE_KEY, windows)), labels

    def sample(self, batch_size: int) -> ObservationBatch:
        return ObservationBatch(self._windows(self._draw(batch_size))[0])

    def iterate(self, batch_size: int) -> Iterator[ObservationBatch]:
        """Every window once, in order (for relabelling and evaluation)."""
        for chunk in self.timesteps.split(batch_size):
            yield ObservationBatch(self._windows(chunk)[0])


class LabelledWindowSampler(ObservationWindowSampler):
    """Samples `(o_{t-H..t+1}, a_t)` from labelled episodes."""

    def __init__(
        self,
        episodes: LabelledEpisodes,
        context: int,
        device: torch.device | str,
        seed: int = 0,
        shard: DistributedContext = SINGLE_PROCESS,
        stats: NormStats | None = None,
    ) -> None:
        super().__init__(episodes, context, device, seed, shard, stats)
        actions = episodes.actions.to(self.device)
        self.actions = actions if self.stats is None else self.stats.normalize(ACTION_KEY, actions)

    def _labelled(self, t: Tensor) -> LabelledBatch:
        windows, actions = self._windows(t, self.actions)
        assert actions is not None  # given actions, transition_windows returns theirs
        return LabelledBatch(windows, actions)

    def sample(self, batch_size: int) -> LabelledBatch:  # type: ignore[override]
        return self._labelled(self._draw(batch_size))

    def iterate(self, batch_size: int) -> Iterator[LabelledBatch]:  # type: ignore[override]
        for chunk in self.timesteps.split(batch_size):
            yield self._labelled(chunk)


class NormalizedRows:
    """The rows `observations[rows]`, normalised only when indexed: regression inputs that cost an index
    per row instead of a normalised copy of every observation. Indexes like a `[len(rows), D]` tensor."""

    def __init__(self, observations: Tensor, rows: Tensor, stats: NormStats) -> None:
        self.observations, self.rows = observations, rows.to(observations.device)
        self.stats = stats.to(observations.device)

    def __len__(self) -> int:
        return int(self.rows.numel())

    @property
    def device(self) -> torch.device:
        return self.observations.device

    def __getitem__(self, picks: Tensor) -> Tensor:
        return self.stats.normalize(STATE_KEY, self.observations[self.rows[picks]])
