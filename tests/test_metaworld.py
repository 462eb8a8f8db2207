"""MetaWorld v3 in the paper's setting, on the real simulator: the task wrapper, the scripted experts, the
vectorised evaluation and the cached datasets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from clam_core.data import metaworld_data
from clam_core.data.episodes import ObservationEpisodes
from clam_core.data.metaworld_data import (
    SUBSETS,
    MetaWorldDataConfig,
    dataset_dir,
    ensure_metaworld_data,
    load_metaworld_data,
)
from clam_core.envs.metaworld_tasks import (
    ACTION_DIM,
    EVAL_SEED,
    OBS_DIM,
    PAPER_TASKS,
    TASKS_WITH_EXPERTS,
    EpisodeJob,
    ExpertAgent,
    MetaWorldTask,
    evaluate,
    expert_controller,
    random_controller,
    record_episodes,
    rollout,
)

# Short episodes and few of them: enough to exercise caching, far too short to solve anything.
TINY = MetaWorldDataConfig(
    episode_length=10,
    unlabelled_episodes=3,
    labelled_episodes=2,
    expert_episodes=1,
    expert_successful_only=False,
    labelled_failed_only=False,
)


def test_task_is_39_by_4_with_action_repeat_2_and_deterministic_in_its_seed() -> None:
    assert set(PAPER_TASKS) <= set(TASKS_WITH_EXPERTS)
    task, twin = MetaWorldTask("assembly-v3"), MetaWorldTask("assembly-v3")
    obs = task.reset(seed=7)
    assert obs.shape == (OBS_DIM,) and obs.dtype == np.float32
    assert np.any(obs[-3:] != 0), "the goal position is part of the observation"

    # One policy step is two simulator steps with the same action.
    twin.reset(seed=7)
    action = np.array([0.5, -0.3, 0.2, 1.0], dtype=np.float32)
    after_policy_step, _ = task.step(action)
    after_one, *_ = twin.env.step(action.astype(np.float64))
    after_two, *_ = twin.env.step(action.astype(np.float64))
    np.testing.assert_array_equal(after_policy_step, after_two.astype(np.float32))
    assert not np.allclose(after_policy_step, after_one.astype(np.float32))

    # Same seed, same episode, whatever the env did before; another seed, another task variation.
    obs_a, actions_a, _ = rollout(task, random_controller, seed=3, length=20)
    twin.reset(seed=99)
    obs_b, actions_b, _ = rollout(twin, random_controller, seed=3, length=20)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(actions_a, actions_b)
    assert obs_a.shape == (20, OBS_DIM) and actions_a.shape == (20, ACTION_DIM)
    assert np.abs(actions_a).max() <= 1.0
    assert not np.allclose(task.reset(seed=4), obs_a[0])
    assert not np.allclose(task.reset(), task.reset()), "each reset draws a new variation"


def test_scripted_expert_solves_assembly_and_random_actions_do_not() -> None:
    task = MetaWorldTask("assembly-v3")
    expert = [rollout(task, expert_controller(task), seed)[2] for seed in range(5)]
    random = [rollout(task, random_controller, seed)[2] for seed in range(5)]
    assert sum(expert) >= 4, expert
    assert sum(random) == 0, random


def test_vectorised_evaluation_matches_sequential_rollouts() -> None:
    # Shelf-place is the task the scripted expert fails now and then, so the successes depend on the seeds.
    task = MetaWorldTask("shelf-place-v3")
    sequential = [rollout(task, expert_controller(task), EVAL_SEED + i)[2] for i in range(8)]
    assert 0 < sum(sequential) < 8, "the seeds should give both outcomes"
    # 8 episodes in 3 waves of 3 envs (one spare episode) over 2 worker processes.
    result = evaluate("shelf-place-v3", ExpertAgent("shelf-place-v3"), episodes=8, workers=2, batch_size=3)
    assert result["successes"] == sequential
    assert result["n"] == 8
    assert result["mean"] == pytest.approx(np.mean(sequential))
    assert result["std"] == pytest.approx(np.std(sequential))


def test_smoke_profile_data_has_low_labelled_success(tmp_path: Path) -> None:
    cfg = MetaWorldDataConfig(unlabelled_episodes=20, labelled_episodes=10, expert_episodes=5)
    data, stats = load_metaworld_data("assembly-v3", cfg, tmp_path, progress=False)
    subsets = stats["subsets"]
    assert subsets["labelled"]["success_rate"] <= 0.1
    assert subsets["expert"]["success_rate"] == 1.0
    assert subsets["unlabelled"]["by_behaviour"]["random"]["success_rate"] == 0.0
    assert set(subsets["unlabelled"]["by_behaviour"]) == {
        "random",
        "expert",
        "expert_sigma0.1",
        "expert_sigma0.3",
        "expert_sigma0.5",
        "expert_sigma1",
    }
    assert (data.labelled.num_episodes, data.expert.num_episodes, data.unlabelled.num_episodes) == (10, 5, 25)
    assert data.labelled.observations.shape == (10 * 100, OBS_DIM)
    assert data.labelled.actions.shape == (10 * 100, ACTION_DIM)
    assert data.labelled.actions.abs().max() <= 1.0
    assert type(data.expert) is ObservationEpisodes and type(data.unlabelled) is ObservationEpisodes
    # The LAM sees the expert observations too: they close the unlabelled set.
    torch.testing.assert_close(data.unlabelled.observations[-5 * 100 :], data.expert.observations)


def test_labelled_set_keeps_only_failed_episodes_and_records_the_rate_before_filtering(
    tmp_path: Path,
) -> None:
    # A lightly noised expert solves peg-insert-side most of the time, so the filter must discard episodes.
    cfg = MetaWorldDataConfig(
        unlabelled_episodes=1,
        labelled_episodes=4,
        labelled_random_fraction=0.0,
        labelled_noise=0.1,
        expert_episodes=1,
        expert_successful_only=False,
    )
    _, stats = load_metaworld_data("peg-insert-side-v3", cfg, tmp_path, progress=False)
    labelled = stats["subsets"]["labelled"]
    noisy = labelled["by_behaviour"]["expert_sigma0.1"]
    assert labelled["episodes"] == 4 and labelled["success_rate"] == 0.0
    assert noisy["attempts"] > 4 and noisy["success_rate_before_filter"] == 1 - 4 / noisy["attempts"]
    # The same candidates unfiltered: the first four, successes included.
    unfiltered = replace(cfg, labelled_failed_only=False)
    _, stats = load_metaworld_data("peg-insert-side-v3", unfiltered, tmp_path, progress=False)
    assert stats["subsets"]["labelled"]["attempts"] == 4
    assert stats["subsets"]["labelled"]["success_rate"] > 0


def _count_episodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many episodes each (in-process) generation job simulates."""
    counts: list[int] = []

    def counting(job: EpisodeJob) -> tuple[np.ndarray, ...]:
        counts.append(len(job.seeds))
        return record_episodes(job)

    monkeypatch.setattr(metaworld_data, "record_episodes", counting)
    return counts


def test_cache_is_reused_until_the_config_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = _count_episodes(monkeypatch)
    first, _ = load_metaworld_data("assembly-v3", TINY, tmp_path, progress=False)
    assert sum(counts) == 3 + 2 + 1
    folder = dataset_dir("assembly-v3", TINY, tmp_path)
    stamps = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}

    counts.clear()
    again, stats = load_metaworld_data("assembly-v3", replace(TINY), tmp_path, progress=False)
    assert counts == []
    assert {path.name: path.stat().st_mtime_ns for path in folder.iterdir()} == stamps
    torch.testing.assert_close(again.unlabelled.observations, first.unlabelled.observations)
    assert stats["key"] == TINY.key() and stats["subsets"]["labelled"]["episodes"] == 2

    changed = replace(TINY, seed=1)
    assert changed.key() != TINY.key()
    other, _ = load_metaworld_data("assembly-v3", changed, tmp_path, progress=False)
    assert sum(counts) == 3 + 2 + 1
    assert not torch.equal(other.unlabelled.observations, first.unlabelled.observations)


def test_a_crash_while_writing_leaves_whole_files_and_the_rerun_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_savez = np.savez_compressed
    saved: list[int] = []

    def crash_on_second_file(file: object, **arrays: np.ndarray) -> None:
        if saved:
            file.write(b"half an npz")  # type: ignore[attr-defined]
            raise OSError("disk full")
        saved.append(1)
        real_savez(file, **arrays)

    monkeypatch.setattr(np, "savez_compressed", crash_on_second_file)
    with pytest.raises(OSError, match="disk full"):
        ensure_metaworld_data("assembly-v3", TINY, tmp_path, progress=False)
    folder = dataset_dir("assembly-v3", TINY, tmp_path)
    assert sorted(path.name for path in folder.iterdir()) == ["unlabelled.npz"]  # no temporary, no half file
    with np.load(folder / "unlabelled.npz") as npz:
        assert npz["observations"].shape == (3, 10, OBS_DIM)
    inode = (folder / "unlabelled.npz").stat().st_ino

    monkeypatch.setattr(np, "savez_compressed", real_savez)
    counts = _count_episodes(monkeypatch)
    data, stats = load_metaworld_data("assembly-v3", TINY, tmp_path, progress=False)
    assert sum(counts) == 2 + 1, "only the missing subsets are generated"
    assert (folder / "unlabelled.npz").stat().st_ino == inode
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [*(f"{s}.npz" for s in SUBSETS), "meta.json"]
    )
    assert data.unlabelled.num_episodes == 3 + 1 and stats["subsets"]["unlabelled"]["episodes"] == 3
