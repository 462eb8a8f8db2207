"""The alignment convention of DESIGN.md §3, tested where it lives: `transition_windows`."""

import pytest
import torch

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes, concat_observations
from clam_core.data.windows import (
    LabelledWindowSampler,
    ObservationBatch,
    ObservationWindowSampler,
    transition_windows,
    valid_timesteps,
)


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
