"""IDM inputs that show each frame's change beside the frame itself.

An inverse dynamics model reads the action from how the state changed. In normalised coordinates that change
is a small difference of two large numbers (on MetaWorld a step moves the hand by about a tenth of the
dataset's spread), which MLP and transformer IDMs resolve poorly from stacked frames. `FrameDeltas` appends
the changes, divided by their spread per feature. On a point that moves 0.05 x action per step, an MLP IDM
reaches R² 0.83 from stacked frames and 0.999 with the changes (tests/test_frame_deltas.py); on MetaWorld the
benchmark's `collapse_check` records the decoder's R² on D_labelled with them.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor, nn

from clam_core.data.episodes import ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.windows import ObservationWindowSampler

# Features whose change spreads less than this never change (padding, the goal): they keep unit scale.
MIN_DELTA_STD = 1e-3


class FrameDeltas(nn.Module):
    """[B, W, D] windows -> [B, W, 2D]: each frame, then its change since the previous frame divided by the
    per-feature spread of such changes (zero for the window's first frame, whose predecessor is not given).
    `fit` sets the spread from training episodes; it is saved with the model as a buffer."""

    def __init__(self, obs_dim: int) -> None:
        super().__init__()
        self.register_buffer("delta_std", torch.ones(obs_dim))

    @property
    def out_dim(self) -> int:
        return 2 * self.delta_std.numel()

    @torch.no_grad()
    def fit(
        self, episodes: ObservationEpisodes, stats: NormStats | None = None, batch_size: int = 1024
    ) -> None:
        """Spread of one-step changes inside episodes (never across an episode boundary), of the episodes
        normalised with `stats` if given. Two passes over batches of transitions with float64 sums, so no
        copy of the whole dataset is made."""
        device = self.delta_std.device
        pairs = ObservationWindowSampler(episodes, context=0, device=device, stats=stats)
        if len(pairs) < 2:
            raise ValueError("FrameDeltas.fit needs at least two transitions inside episodes")

        def deltas() -> Iterator[Tensor]:
            for batch in pairs.iterate(batch_size):
                yield (batch.observations[:, 1] - batch.observations[:, 0]).double()

        mean = sum(d.sum(0) for d in deltas()) / len(pairs)
        spread = (sum(((d - mean) ** 2).sum(0) for d in deltas()) / (len(pairs) - 1)).sqrt().float()
        self.delta_std.copy_(torch.where(spread < MIN_DELTA_STD, torch.ones_like(spread), spread))

    def forward(self, windows: Tensor) -> Tensor:
        deltas = torch.zeros_like(windows)
        deltas[:, 1:] = (windows[:, 1:] - windows[:, :-1]) / self.delta_std
        return torch.cat([windows, deltas], dim=-1)


def optional_frame_deltas(obs_dim: int, enabled: bool) -> tuple[FrameDeltas | None, int]:
    """An IDM's FrameDeltas (None when off, so checkpoints saved without them still load) and the number of
    features per frame the IDM then reads."""
    deltas = FrameDeltas(obs_dim) if enabled else None
    return deltas, (deltas.out_dim if deltas is not None else obs_dim)
