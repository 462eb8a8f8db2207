"""The IDM's frame-change inputs: fit inside episodes only, saved with the model, and what they are for (an
IDM that reads a small move out of large positions)."""

import pytest
import torch

from clam_core.algos.vpt import ActionIDM
from clam_core.data.episodes import ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.keys import STATE_KEY
from clam_core.metrics import r2_score
from clam_core.models.frame_deltas import FrameDeltas
from clam_core.models.lam import LAMConfig, LatentActionModel
from clam_core.models.lam_transformer import TransformerSize


def test_fit_measures_changes_inside_episodes_and_ignores_the_jumps_between_them() -> None:
    steps = torch.arange(10.0)[:, None]
    # Feature 0 moves by 0.1 or 0.3 per step; feature 1 never changes within an episode but jumps between.
    first = torch.cat([0.1 * steps, torch.zeros(10, 1)], dim=1)
    second = torch.cat([100.0 + 0.3 * steps, torch.full((10, 1), 50.0)], dim=1)
    episodes = ObservationEpisodes.from_arrays([first, second])
    deltas = FrameDeltas(2)
    deltas.fit(episodes)
    changes = torch.tensor([0.1] * 9 + [0.3] * 9)
    assert deltas.delta_std[0].item() == pytest.approx(changes.std().item(), rel=1e-4)
    assert deltas.delta_std[1].item() == 1.0  # no change inside an episode: unit scale, not a tiny divisor


def test_fit_with_stats_measures_the_normalised_changes_in_batches() -> None:
    episodes = ObservationEpisodes.from_arrays([torch.randn(30, 3).cumsum(0) for _ in range(3)])
    stats = NormStats({STATE_KEY: torch.tensor([1.0, 0.0, -2.0])}, {STATE_KEY: torch.tensor([0.5, 2.0, 8.0])})
    normalised = ObservationEpisodes(stats.normalize(STATE_KEY, episodes.observations), episodes.episode_ends)
    eager, lazy = FrameDeltas(3), FrameDeltas(3)
    eager.fit(normalised)
    lazy.fit(episodes, stats, batch_size=8)  # batches that do not divide the 87 transitions
    within = [o[1:] - o[:-1] for o in normalised.observations.split(30)]
    torch.testing.assert_close(lazy.delta_std, torch.cat(within).std(0))
    torch.testing.assert_close(lazy.delta_std, eager.delta_std)


def test_forward_appends_scaled_changes_with_none_for_the_first_frame() -> None:
    deltas = FrameDeltas(3)
    deltas.delta_std.copy_(torch.tensor([0.5, 1.0, 2.0]))
    windows = torch.randn(4, 3, 3)
    out = deltas(windows)
    assert out.shape == (4, 3, 6)
    assert torch.equal(out[..., :3], windows)
    assert torch.equal(out[:, 0, 3:], torch.zeros(4, 3))
    expected = (windows[:, 2] - windows[:, 1]) / torch.tensor([0.5, 1.0, 2.0])
    assert torch.allclose(out[:, 2, 3:], expected)


def test_lam_saves_the_fitted_scale_and_refuses_deltas_for_images() -> None:
    small = TransformerSize(d_model=16, n_heads=2, n_layers=1, ff_dim=32)
    episodes = ObservationEpisodes.from_arrays([torch.randn(20, 5).cumsum(0) * 0.01])
    for kind in ("mlp", "transformer"):
        cfg = LAMConfig(kind=kind, mlp_hidden=(8,), transformer=small, idm_frame_deltas=True)
        lam = LatentActionModel(5, cfg).eval()
        lam.fit_idm_inputs(episodes)
        assert not torch.equal(lam.frame_deltas.delta_std, torch.ones(5))
        restored = LatentActionModel(5, cfg).eval()
        restored.load_state_dict(lam.state_dict())
        windows = torch.randn(2, 3, 5)
        assert torch.equal(restored.encode(windows)[0], lam.encode(windows)[0])
        # Without deltas the model has no such buffer: checkpoints from before the option still load.
        assert (
            "frame_deltas.delta_std"
            not in LatentActionModel(5, LAMConfig(kind=kind, mlp_hidden=(8,), transformer=small)).state_dict()
        )
    with pytest.raises(ValueError, match="images"):
        LAMConfig(kind="spacetime", idm_frame_deltas=True)


def _fit_idm(frame_deltas: bool, windows: torch.Tensor, actions: torch.Tensor) -> float:
    torch.manual_seed(0)
    idm = ActionIDM(2, 2, 2, (64, 64), frame_deltas)
    if idm.frame_deltas is not None:
        idm.frame_deltas.delta_std.copy_((windows[:, 1] - windows[:, 0]).std(0))
    optimizer = torch.optim.Adam(idm.parameters(), lr=1e-3)
    for step in range(600):
        batch = slice((step * 128) % 3840, (step * 128) % 3840 + 128)
        loss = torch.nn.functional.mse_loss(idm(windows[batch]), actions[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return r2_score(idm(windows[3840:]), actions[3840:])


def test_an_idm_reads_small_moves_from_large_positions_better_with_the_changes() -> None:
    # A point whose position spreads ~1 moves by 0.05 * action per step, as a MetaWorld hand does.
    generator = torch.Generator().manual_seed(0)
    positions = torch.randn(4096, 2, generator=generator)
    actions = torch.rand(4096, 2, generator=generator) * 1.6 - 0.8
    windows = torch.stack([positions, positions + 0.05 * actions], dim=1)
    plain, with_deltas = _fit_idm(False, windows, actions), _fit_idm(True, windows, actions)
    assert with_deltas > 0.95
    assert with_deltas > plain + 0.1
