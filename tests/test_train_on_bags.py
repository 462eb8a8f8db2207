"""`python training/train.py` on real episode bags recorded in the twin: bad bags are skipped and reported,
the conversion is cached, and the checkpoint is one the policy node's agent loads."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from train_cli import ROOT, SMALL, SMALL_IMAGES, TRAIN

from clam_core.data.bags import EpisodeBagWriter, EpisodeMeta, read_episode_bag
from clam_core.envs.widowx.datagen import record_episode
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.inference import LatentActionAgent


def write_bag(
    path: Path,
    states: np.ndarray,
    actions: np.ndarray,
    kind: str,
    accepted: bool = True,
    images: dict[str, np.ndarray] | None = None,
) -> Path:
    images = images or {}
    meta = EpisodeMeta(kind=kind, task="microwave", start_time=time.time(), cameras=sorted(images))
    writer = EpisodeBagWriter(path, meta)
    for step, (state, action) in enumerate(zip(states, actions, strict=True)):
        writer.write(step * 200_000_000, state, action, {c: frames[step] for c, frames in images.items()})
    return writer.close(accepted)


@pytest.fixture(scope="module")
def bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bags")
    env = WidowXKitchenEnv("microwave", cameras=())
    for seed in range(4):
        episode = record_episode(env, "play", seed=seed, length=20)
        write_bag(root / "play" / f"play_{seed}", episode.states, episode.actions, "play")
    for seed in range(2):
        episode = record_episode(env, "expert", seed=50 + seed, length=20)
        write_bag(root / "expert" / f"expert_{seed}", episode.states, episode.actions, "expert")
    # Three bags training must skip: discarded, cut off by a crash, and damaged.
    write_bag(root / "play" / "discarded", episode.states, episode.actions, "play", accepted=False)
    crashed = EpisodeBagWriter(root / "play" / "crashed", EpisodeMeta(kind="play", task="microwave"))
    crashed.write(0, episode.states[0], episode.actions[0])
    crashed.abort()
    damaged = write_bag(root / "play" / "damaged", episode.states, episode.actions, "play")
    mcap = next(damaged.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[:200])
    return {"play": root / "play", "expert": root / "expert"}


def test_bags_round_trip_and_expert_actions_stay_hidden(bags) -> None:
    episode = read_episode_bag(bags["play"] / "play_0", with_actions=True)
    assert episode.states.shape == (20, 7) and episode.actions.shape == (20, 7)
    assert episode.meta.kind == "play" and episode.meta.complete and episode.meta.steps == 20
    assert read_episode_bag(bags["expert"] / "expert_0", with_actions=False).actions is None


def _train(bags, out: Path, cache: Path, options: list[str] = SMALL) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        TRAIN,
        "--play",
        str(bags["play"]),
        "--expert",
        str(bags["expert"]),
        "--task",
        "microwave",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--cache-dir",
        str(cache),
        *options,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_train_py_skips_bad_bags_caches_and_writes_a_loadable_checkpoint(bags, tmp_path: Path) -> None:
    first = _train(bags, tmp_path / "run", tmp_path / "cache")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "play: 4 bags used (converted), 3 skipped" in first.stdout
    assert "episode was discarded by the operator" in first.stdout
    assert "recording was cut off (crash or abort): incomplete" in first.stdout
    assert "unreadable bag" in first.stdout
    assert "expert: 2 bags used (converted), 0 skipped" in first.stdout
    agent = LatentActionAgent.load(tmp_path / "run" / "checkpoint")
    assert agent.act(np.zeros(7, np.float32)).shape == (7,)
    # Same bags again: the cached dataset is read and the finished stages are resumed, not redone.
    shutil.rmtree(tmp_path / "run" / "checkpoint")
    second = _train(bags, tmp_path / "run", tmp_path / "cache")
    assert second.returncode == 0, second.stderr[-2000:]
    assert "play: 4 bags used (cached dataset), 3 skipped" in second.stdout
    assert "stage1: resumed from step 30" in second.stdout + second.stderr
    assert (tmp_path / "run" / "checkpoint" / "model.safetensors").is_file()


def test_no_usable_bags_is_a_clear_error(bags, tmp_path: Path) -> None:
    only_bad = tmp_path / "bad"
    shutil.copytree(bags["play"] / "discarded", only_bad / "discarded")
    command = [
        sys.executable,
        TRAIN,
        "--play",
        str(only_bad),
        "--expert",
        str(bags["expert"]),
        "--cache-dir",
        str(tmp_path / "cache"),
        *SMALL,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 2
    assert "error: no usable play bags" in result.stderr and "discarded by the operator" in result.stderr


def test_help_explains_the_options() -> None:
    result = subprocess.run(
        [sys.executable, TRAIN, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0
    assert (
        "--play BAG" in result.stdout and "--expert BAG" in result.stdout and "--help-clam" in result.stdout
    )
    clam = subprocess.run(
        [sys.executable, TRAIN, "--help-clam"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert clam.returncode == 0, clam.stderr
    assert "--clam.policy.image.random_shift" in clam.stdout and "--clam.stage1.steps" in clam.stdout


@pytest.fixture(scope="module")
def image_bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("image_bags")
    env = WidowXKitchenEnv("microwave", image_size=48)
    for kind, seeds in (("play", range(3)), ("expert", range(50, 52))):
        for seed in seeds:
            episode = record_episode(env, kind, seed=seed, length=15)
            write_bag(
                root / kind / f"{kind}_{seed}", episode.states, episode.actions, kind, images=episode.images
            )
    env.close()
    return {"play": root / "play", "expert": root / "expert"}


def test_train_py_on_camera_images_gives_an_image_policy(image_bags, tmp_path: Path) -> None:
    options = ["--cameras", "external", "shoulder", *SMALL_IMAGES]
    result = _train(image_bags, tmp_path / "run", tmp_path / "cache", options)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    agent = LatentActionAgent.load(tmp_path / "run" / "checkpoint")
    assert agent.layout.cameras == ("external", "shoulder") and agent.layout.image_size == 32
    env = WidowXKitchenEnv("microwave", image_size=48)
    observation, _ = env.reset(seed=3)
    env.close()
    first = agent.act(observation)
    assert first.shape == (7,) and np.isfinite(first).all()
    changed = dict(
        observation, **{"observation.images.external": 255 - observation["observation.images.external"]}
    )
    assert not np.allclose(agent.predict_chunk(changed), agent.predict_chunk(observation))  # it looks
    with pytest.raises(KeyError, match="shoulder"):
        agent.act({k: v for k, v in observation.items() if not k.endswith("shoulder")})


def test_image_options_must_agree(image_bags, tmp_path: Path) -> None:
    without_lam = _train(image_bags, tmp_path / "a", tmp_path / "cache", ["--cameras", "external", *SMALL])
    assert without_lam.returncode == 2 and "--clam.lam.kind spacetime" in without_lam.stderr
    without_cameras = _train(image_bags, tmp_path / "b", tmp_path / "cache", SMALL_IMAGES)
    assert without_cameras.returncode == 2 and "--cameras" in without_cameras.stderr
