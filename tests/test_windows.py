"""The alignment convention of DESIGN.md §3, tested where it lives: `transition_windows`."""

import pytest
import torch

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes, concat_observations
from clam_core.data.normalization import NormStats
from clam_core.data.windows import (
    LabelledWindowSampler,
    NormalizedRows,
    ObservationBatch,
    ObservationWindowSampler,
    transition_windows,
    valid_timesteps,
)
from clam_core.keys import ACTION_KEY, STATE_KEY


def _counting_episodes(lengths: list[int]) -> LabelledEpisodes:
    """obs[t] = [t, episode], action[t] = [1000 + t]: every value names its own index."""
    observations, actions, start = [], [], 0
    for episode, length in enumerate(lengths):
        steps = torch.arange(start, start + length, dtype=torch.float32)
        observations.append(torch.stack([steps, torch.full_like(steps, episode)], dim=1))
        actions.append((1000 + steps)[:, None])
        start += length
    return LabelledEpisodes.from_arrays(observations, actions)


@pytest.mark.parametrize("context", [0, 1, 2, 4])
def test_window_is_o_t_minus_h_to_t_plus_1_with_a_t(context: int) -> None:
    episodes = _counting_episodes([7, 3, 9])
    t = valid_timesteps(episodes.episode_ends, context)
    windows, actions = transition_windows(episodes.observations, t, context, episodes.actions)
    assert windows.shape == (len(t), context + 2, 2)
    expected_frames = t[:, None] + torch.arange(-context, 2)
    assert torch.equal(windows[..., 0], expected_frames.float())
    # a_t is the command issued after o_t: the second-to-last frame of the window, not the last.
    assert torch.equal(actions[:, 0], 1000 + windows[:, -2, 0])
    # No window crosses an episode boundary.
    assert torch.all(windows[..., 1] == windows[:, :1, 1])


def test_valid_timesteps_cover_exactly_the_transitions_with_enough_history() -> None:
    ends = torch.tensor([5, 7, 12])  # lengths 5, 2, 5
    assert valid_timesteps(ends, context=1).tolist() == [1, 2, 3, 8, 9, 10]
    assert valid_timesteps(ends, context=0).tolist() == [0, 1, 2, 3, 5, 7, 8, 9, 10]
    # A chunk of 3 transitions starting at t also needs t+1 and t+2 to have successors.
    assert valid_timesteps(ends, context=1, chunk=3).tolist() == [1, 8]


def test_observation_only_path_cannot_return_actions() -> None:
    episodes = _counting_episodes([10, 10])
    sampler = ObservationWindowSampler(episodes, context=1, device="cpu")
    batch = sampler.sample(16)
    assert isinstance(batch, ObservationBatch)
    assert not hasattr(batch, "actions")
    assert not hasattr(sampler, "actions")
    assert not hasattr(episodes.observations_only(), "actions")
    assert all(not hasattr(b, "actions") for b in sampler.iterate(8))


def test_labelled_sampler_is_seeded_and_aligned() -> None:
    episodes = _counting_episodes([20, 15, 30])
    first = LabelledWindowSampler(episodes, context=2, device="cpu", seed=3).sample(64)
    again = LabelledWindowSampler(episodes, context=2, device="cpu", seed=3).sample(64)
    assert torch.equal(first.observations, again.observations)
    assert torch.equal(first.actions[:, 0], 1000 + first.observations[:, -2, 0])
    every = list(LabelledWindowSampler(episodes, context=2, device="cpu").iterate(10))
    assert sum(len(b.actions) for b in every) == (20 - 3) + (15 - 3) + (30 - 3)


def _normalised(episodes: LabelledEpisodes, stats: NormStats) -> LabelledEpisodes:
    return LabelledEpisodes(
        stats.normalize(STATE_KEY, episodes.observations),
        episodes.episode_ends,
        stats.normalize(ACTION_KEY, episodes.actions),
    )


def test_samplers_given_stats_serve_exactly_the_batches_of_normalised_data() -> None:
    episodes = _counting_episodes([20, 15, 30])
    stats = NormStats.fit({STATE_KEY: episodes.observations + 0.3, ACTION_KEY: episodes.actions * 1.7})
    raw = LabelledWindowSampler(episodes, context=2, device="cpu", seed=5, stats=stats)
    normalised = LabelledWindowSampler(_normalised(episodes, stats), context=2, device="cpu", seed=5)
    assert raw.observations is episodes.observations  # no copy of the observations is made
    for _ in range(3):
        lazily, eagerly = raw.sample(32), normalised.sample(32)
        assert torch.equal(lazily.observations, eagerly.observations)
        assert torch.equal(lazily.actions, eagerly.actions)
    for lazily, eagerly in zip(raw.iterate(7), normalised.iterate(7), strict=True):
        assert torch.equal(lazily.observations, eagerly.observations)
        assert torch.equal(lazily.actions, eagerly.actions)
    only = ObservationWindowSampler(episodes, context=1, device="cpu", seed=2, stats=stats).sample(16)
    expected = ObservationWindowSampler(_normalised(episodes, stats), context=1, device="cpu", seed=2)
    assert torch.equal(only.observations, expected.sample(16).observations)


def test_normalised_rows_index_like_a_normalised_copy() -> None:
    episodes = _counting_episodes([6, 9])
    stats = NormStats.fit({STATE_KEY: episodes.observations * 2.0 - 1.0})
    rows = torch.tensor([0, 3, 7, 14])
    inputs = NormalizedRows(episodes.observations, rows, stats)
    copy = stats.normalize(STATE_KEY, episodes.observations)[rows]
    picks = torch.tensor([3, 0, 0, 2])
    assert len(inputs) == 4 and inputs.device == torch.device("cpu")
    assert torch.equal(inputs[picks], copy[picks])


def test_split_gives_views_that_keep_episode_boundaries() -> None:
    episodes = _counting_episodes([4, 6, 5])
    first, rest = episodes.split(2)
    assert first.episode_ends.tolist() == [4, 10] and rest.episode_ends.tolist() == [5]
    assert rest.observations[:, 1].tolist() == [2.0] * 5 and rest.actions[0, 0] == 1000 + 10
    assert first.actions.shape == (10, 1)
    # Views: the split shares the set's memory instead of copying it.
    assert first.observations.data_ptr() == episodes.observations.data_ptr()
    assert (
        rest.observations.untyped_storage().data_ptr() == episodes.observations.untyped_storage().data_ptr()
    )
    assert isinstance(episodes.observations_only().split(1)[1], ObservationEpisodes)
    for bad in (0, 3):
        with pytest.raises(ValueError, match="split after 1 to 2"):
            episodes.split(bad)


def test_select_and_concat_keep_episode_boundaries() -> None:
    episodes = _counting_episodes([4, 6, 5])
    picked = episodes.select([2, 0])
    assert picked.episode_ends.tolist() == [5, 9]
    assert picked.observations[:5, 1].tolist() == [2.0] * 5
    assert picked.actions[0, 0] == 1000 + 10
    joined = concat_observations(
        [picked.observations_only(), ObservationEpisodes.from_arrays([torch.ones(3, 2)])]
    )
    assert joined.episode_ends.tolist() == [5, 9, 12]
    assert not isinstance(joined, LabelledEpisodes)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="actions for"):
        LabelledEpisodes(torch.zeros(5, 2), torch.tensor([5]), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="episode_ends"):
        ObservationEpisodes(torch.zeros(5, 2), torch.tensor([4]))
    with pytest.raises(ValueError, match="long enough"):
        ObservationWindowSampler(_counting_episodes([2, 2]), context=1, device="cpu")
