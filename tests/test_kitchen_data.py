"""Kitchen twin image datasets (generation, cache, layout conversion) and closed-loop evaluation."""

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import quiet_run

from clam_core.algos.clam import CLAMConfig, CLAMData, train_clam
from clam_core.data import kitchen_data
from clam_core.data.episodes import concat_observations
from clam_core.data.kitchen_data import (
    KitchenDataConfig,
    KitchenEpisodes,
    dataset_dir,
    labelled_episodes,
    layout_observations,
    load_kitchen_data,
    observation_episodes,
)
from clam_core.data.observation_layout import ObservationLayout
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.envs.widowx.evaluation import evaluate_checkpoint
from clam_core.models.decoders import DecoderConfig
from clam_core.models.image_policy import ImagePolicyConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.lam_spacetime import SpaceTimeSize
from clam_core.models.policies import PolicyConfig
from clam_core.train.config import OptimConfig
from training.kitchen_methods import task_data

TINY = KitchenDataConfig(image_size=32, play_episodes=3, play_length=10, expert_episodes=2, expert_length=16)


def _mtimes(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}


@pytest.fixture
def job_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(task, controller) of every in-process recording job."""
    log: list[tuple[str, str]] = []
    record = kitchen_data._record_job

    def logged(job: kitchen_data._Job) -> list:
        log.append((job.task, job.controller))
        return record(job)

    monkeypatch.setattr(kitchen_data, "_record_job", logged)
    return log


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    cache = tmp_path_factory.mktemp("kitchen")
    return cache, load_kitchen_data(TINY, ["block"], cache, workers=1, progress=False)


def test_config_validation_and_key() -> None:
    for bad in ({"play_episodes": 0}, {"expert_length": 1}, {"seed": -1}, {"image_size": 4}):
        with pytest.raises(ValueError):
            KitchenDataConfig(**bad)
    with pytest.raises(ValueError, match="cameras"):
        KitchenDataConfig(cameras=("external", "external"))
    with pytest.raises(ValueError, match="cameras"):
        KitchenDataConfig(cameras=("nose",))
    assert KitchenDataConfig(cameras=["external"]).key() == KitchenDataConfig(cameras=("external",)).key()
    assert KitchenDataConfig().key() != KitchenDataConfig(seed=1).key()
    with pytest.raises(ValueError, match="unknown kitchen tasks"):
        load_kitchen_data(TINY, ["fly"], "/nonexistent", progress=False)


def test_generated_data_shapes_and_meta(tiny: tuple[Path, tuple]) -> None:
    _, (play, experts, meta) = tiny
    assert play.num_episodes == 3 and play.num_steps == 30 and play.cameras == ("external", "shoulder")
    assert play.images["external"].shape == (30, 32, 32, 3) and play.images["external"].dtype == np.uint8
    assert play.states.shape == play.actions.shape == (30, 7)
    assert list(experts) == ["block"] and experts["block"].num_steps == 32
    assert meta["play_task"] == "microwave" and meta["key"] == TINY.key()
    assert meta["subsets"]["play"]["transitions"] == 30
    assert meta["subsets"]["expert_block"] == meta["subsets"]["expert_block"] | {
        "episodes": 2,
        "success_rate": 1.0,
    }


def test_saved_experts_succeed_when_their_actions_are_replayed(tiny: tuple[Path, tuple]) -> None:
    _, (_, experts, _) = tiny
    demos = experts["block"]
    assert demos.success.all()
    env = WidowXKitchenEnv("block", TINY.image_size, TINY.cameras, episode_length=TINY.expert_length)
    try:
        for episode, seed in enumerate(demos.seeds):
            start, end = demos.episode_starts[episode], demos.episode_ends[episode]
            obs, info = env.reset(seed=int(seed))
            np.testing.assert_array_equal(obs["observation.images.shoulder"], demos.images["shoulder"][start])
            for action in demos.actions[start : end - 1]:  # the last action is never executed
                obs, _, _, _, info = env.step(action)
            np.testing.assert_allclose(obs["observation.state"], demos.states[end - 1], atol=1e-6)
            assert info["success"]
    finally:
        env.close()


def test_cache_hit_and_only_missing_subsets_are_generated(
    tiny: tuple[Path, tuple], job_log: list[tuple[str, str]]
) -> None:
    cache, (play, _, _) = tiny
    folder = dataset_dir(TINY, cache)
    before = _mtimes(folder)
    again, _, _ = load_kitchen_data(TINY, ["block"], cache, workers=1, progress=False)
    assert job_log == [] and _mtimes(folder) == before
    np.testing.assert_array_equal(again.images["external"], play.images["external"])

    _, experts, meta = load_kitchen_data(TINY, ["block", "button"], cache, workers=1, progress=False)
    assert set(job_log) == {("button", "expert")}
    after = _mtimes(folder)
    assert {name: after[name] for name in before if name.endswith(".npz")} == {
        name: t for name, t in before.items() if name.endswith(".npz")
    }
    assert set(meta["subsets"]) == {"play", "expert_block", "expert_button"}
    assert experts["button"].success.all()


def test_generation_is_deterministic_across_worker_counts(tiny: tuple[Path, tuple], tmp_path: Path) -> None:
    _, (play, experts, _) = tiny
    play2, experts2, _ = load_kitchen_data(TINY, ["block"], tmp_path, workers=2, progress=False)
    for ours, theirs in ((play, play2), (experts["block"], experts2["block"])):
        first, second = ours.to_arrays(), theirs.to_arrays()
        assert first.keys() == second.keys()
        for name in first:
            np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_layout_conversion_matches_flatten(tiny: tuple[Path, tuple]) -> None:
    _, (play, _, _) = tiny
    layout = TINY.layout()
    flat = layout_observations(play, layout, chunk=7)  # chunks that do not divide the steps
    assert flat.shape == (30, 7 + 2 * 3 * 32 * 32)
    assert torch.equal(flat, layout.flatten(play.states, play.images))
    small = ObservationLayout(7, ("shoulder",), 16)  # one camera, resized
    assert torch.allclose(layout_observations(play, small), small.flatten(play.states, play.images))
    with pytest.raises(ValueError, match="cameras"):
        layout_observations(play, ObservationLayout(7, ("wrist",), 32))

    labelled = labelled_episodes(play.select([2, 0]), layout)
    assert labelled.num_episodes == 2 and labelled.episode_ends.tolist() == [10, 20]
    assert torch.equal(labelled.observations[:10], flat[20:30])
    assert torch.equal(labelled.actions[10:], torch.as_tensor(play.actions[:10]))
    assert observation_episodes(play, layout).obs_dim == layout.dim


def test_a_tasks_sets_are_views_of_one_float_copy_of_play_and_demonstrations(
    tiny: tuple[Path, tuple],
) -> None:
    _, (play, experts, _) = tiny
    layout = TINY.layout()
    both = KitchenEpisodes.concat([play, experts["block"]])
    assert both.episode_ends.tolist() == [10, 20, 30, 46, 62]
    np.testing.assert_array_equal(both.images["external"][30:], experts["block"].images["external"])
    np.testing.assert_array_equal(both.success, np.concatenate([play.success, experts["block"].success]))

    task = task_data(labelled_episodes(both, layout), play.num_episodes, layout)
    unlabelled = task.clam.unlabelled.observations
    assert torch.equal(task.clam.labelled.observations, labelled_episodes(play, layout).observations)
    assert torch.equal(task.expert.actions, torch.as_tensor(experts["block"].actions))
    assert task.expert.episode_ends.tolist() == [16, 32]
    assert not hasattr(task.clam.expert, "actions") and not hasattr(task.clam.unlabelled, "actions")
    # Play, the demonstrations and their union share one tensor: the images are held once.
    storage = unlabelled.untyped_storage().data_ptr()
    for part in (task.clam.labelled, task.clam.expert, task.expert):
        assert part.observations.untyped_storage().data_ptr() == storage
    one_camera = KitchenEpisodes(
        play.states, play.actions, {"external": play.images["external"]}, play.episode_ends, play.success
    )
    with pytest.raises(ValueError, match="different cameras"):
        KitchenEpisodes.concat([play, one_camera])


# ------------------------------------------------------------------------------------------------ evaluation
def _tiny_image_clam() -> CLAMConfig:
    # The IDM-backbone policy: a ResNet18 would cost seconds per training step on 2 cores.
    size = {"d_model": 32, "n_heads": 2, "n_layers": 1, "ff_dim": 64}
    return CLAMConfig(
        lam=LAMConfig(kind="spacetime", spacetime=SpaceTimeSize(**size)),
        decoder=DecoderConfig(embed_dim=32, hidden=(32, 32)),
        policy=PolicyConfig(
            embed_dim=32, hidden=(32, 32), chunk_size=2, image=ImagePolicyConfig(backbone="idm", **size)
        ),
        batch_size=8,
        decoder_batch_size=8,
        policy_batch_size=8,
        stage1=OptimConfig(steps=5, warmup_steps=1),
        stage2=OptimConfig(steps=5, warmup_steps=1),
    )


@pytest.fixture(scope="module")
def checkpoint(tiny: tuple[Path, tuple], tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, (play, experts, _) = tiny
    layout = TINY.layout()
    expert = observation_episodes(experts["block"], layout)
    data = CLAMData(
        labelled=labelled_episodes(play.select([0]), layout),
        unlabelled=concat_observations([observation_episodes(play, layout), expert]),
        expert=expert,
    )
    path, _, _ = train_clam(_tiny_image_clam(), data, quiet_run(tmp_path_factory.mktemp("clam")), layout)
    return path


def test_evaluation_is_independent_of_worker_count(checkpoint: Path) -> None:
    options = {"episodes": 3, "seed": 100, "image_size": 32, "episode_length": 8}
    alone = evaluate_checkpoint(checkpoint, "block", workers=1, frames_camera="external", **options)
    shared = evaluate_checkpoint(checkpoint, "block", workers=2, frames_camera="external", **options)
    assert alone["n"] == 3 and len(alone["successes"]) == len(alone["partials"]) == 3
    assert 0 <= alone["success_rate"] <= 1 and 0 <= alone["partial_rate"] <= 1
    assert all(1 <= steps <= 8 for steps in alone["steps"])
    for key in ("successes", "partials", "steps"):
        assert alone[key] == shared[key], key
    assert len(alone["frames"]) == alone["steps"][0] + 1 and alone["frames"][0].shape == (32, 32, 3)
    for ours, theirs in zip(alone["frames"], shared["frames"], strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_evaluation_rejects_bad_arguments(checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="unknown task"):
        evaluate_checkpoint(checkpoint, "fly", episodes=1, seed=0)
    with pytest.raises(ValueError, match="unknown cameras"):
        evaluate_checkpoint(checkpoint, "block", episodes=1, seed=0, frames_camera="nose")
    with pytest.raises(ValueError, match="checkpoint sees cameras") as error:  # raised in a worker
        evaluate_checkpoint(checkpoint, "block", episodes=2, seed=0, workers=2, cameras=("external",))
    assert "evaluation.py" in str(error.value.__cause__)  # with the worker's traceback


def test_kitchen_episodes_check_their_shapes() -> None:
    states = np.zeros((4, 7), np.float32)
    with pytest.raises(ValueError, match="episode_ends"):
        KitchenEpisodes(states, states, {}, np.array([3]), np.array([True]))
    with pytest.raises(ValueError, match="one entry per step"):
        KitchenEpisodes(states, states[:3], {}, np.array([4]), np.array([True]))
