"""Action-chunk baselines (BC, VPT, LAPA) on any observation layout: they learn, and their `bc` checkpoints
run through LatentActionAgent like CLAM's (state vectors, or dicts of state and images)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import quiet_run

from clam_core.algos.chunked_bc import (
    ChunkedBCConfig,
    ChunkedVPTConfig,
    action_chunks,
    train_chunked_bc,
    train_chunked_lapa,
    train_chunked_vpt,
)
from clam_core.algos.clam import CLAMConfig, CLAMData, fit_stats
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.inference import LatentActionAgent
from clam_core.keys import ACTION_KEY, IMAGE_KEY_PREFIX, STATE_KEY
from clam_core.models.image_policy import ImagePolicyConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.lam_spacetime import SpaceTimeSize
from clam_core.models.policies import PolicyConfig
from clam_core.train.checkpoint import load_checkpoint
from clam_core.train.config import OptimConfig

STEP = 0.1  # o_{t+1} = o_t + STEP * a_t


def rollouts(controller, episodes: int, length: int, seed: int) -> LabelledEpisodes:
    """A 2-D integrator driven by `controller(obs, rng)`."""
    rng = np.random.default_rng(seed)
    observations, actions = [], []
    for _ in range(episodes):
        obs = rng.uniform(-1, 1, 2).astype(np.float32)
        episode_obs, episode_actions = [], []
        for _ in range(length):
            action = np.clip(controller(obs, rng), -1, 1).astype(np.float32)
            episode_obs.append(obs)
            episode_actions.append(action)
            obs = obs + STEP * action
        observations.append(np.stack(episode_obs))
        actions.append(np.stack(episode_actions))
    return LabelledEpisodes.from_arrays(observations, actions)


def random_play(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1, 1, 2)


def go_home(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return -obs


STATE_POLICY = PolicyConfig(embed_dim=32, hidden=(64, 64), chunk_size=3)


def test_action_chunks_stay_inside_their_episode_and_come_normalised() -> None:
    episodes = rollouts(random_play, episodes=2, length=5, seed=0)
    stats = NormStats(
        {STATE_KEY: torch.tensor([1.0, -1.0]), ACTION_KEY: torch.tensor([0.5, 0.0])},
        {STATE_KEY: torch.tensor([2.0, 4.0]), ACTION_KEY: torch.tensor([0.25, 1.0])},
    )
    inputs, targets = action_chunks(episodes, chunk_size=3, stats=stats)
    # t = 0, 1 of each 5-step episode: every action of a chunk is followed by an observation (the last
    # action of an episode never is, so it is never a target).
    assert len(inputs) == 4 and targets.shape == (4, 3, 2)
    torch.testing.assert_close(
        inputs[torch.tensor([2])][0],
        (episodes.observations[5] - stats.mean[STATE_KEY]) / stats.std[STATE_KEY],
    )
    torch.testing.assert_close(
        targets[2], (episodes.actions[5:8] - stats.mean[ACTION_KEY]) / stats.std[ACTION_KEY]
    )


def test_vpt_labels_expert_observations_and_its_policy_imitates_the_expert(tmp_path: Path) -> None:
    play = rollouts(random_play, episodes=40, length=20, seed=1)
    expert = rollouts(go_home, episodes=40, length=20, seed=2)
    data = CLAMData(play, play.observations_only(), expert.observations_only())
    cfg = ChunkedVPTConfig(
        idm=LAMConfig(kind="mlp", context=0, mlp_hidden=(64, 64)),
        idm_batch_size=64,
        idm_optim=OptimConfig(steps=600, warmup_steps=10, lr=3e-3),
        bc=ChunkedBCConfig(STATE_POLICY, 64, OptimConfig(steps=600, warmup_steps=10, lr=3e-3)),
    )
    checkpoint = train_chunked_vpt(data, ObservationLayout(2), cfg, quiet_run(tmp_path))
    agent = LatentActionAgent.load(checkpoint, ensemble_coeff=0.0)
    probes = np.random.default_rng(3).uniform(-0.8, 0.8, (20, 2)).astype(np.float32)
    errors = []
    for obs in probes:
        agent.reset()
        errors.append(np.abs(agent.act(obs) - go_home(obs, None)).max())
    # The expert's actions were never seen: the IDM, trained on random play, recovered them.
    assert np.median(errors) < 0.15, errors


IMAGE_LAYOUT = ObservationLayout(2, ("external",), image_size=16)
SMALL_SPACETIME = SpaceTimeSize(d_model=16, n_heads=2, n_layers=1, ff_dim=32, dropout=0.0, patch_size=8)
IMAGE_POLICY = PolicyConfig(
    chunk_size=2, image=ImagePolicyConfig(backbone="convnet", d_model=32, n_heads=2, n_layers=1, ff_dim=64)
)
FEW_STEPS = OptimConfig(steps=2, warmup_steps=1)


def image_play(seed: int) -> tuple[LabelledEpisodes, np.ndarray]:
    """Random play on the integrator with random camera images (flattened by IMAGE_LAYOUT); the images."""
    episodes = rollouts(random_play, episodes=3, length=8, seed=seed)
    images = np.random.default_rng(seed + 100).integers(
        0, 255, (episodes.num_steps, 16, 16, 3), dtype=np.uint8
    )
    flat = IMAGE_LAYOUT.flatten(episodes.observations, {"external": images})
    return LabelledEpisodes(flat, episodes.episode_ends, episodes.actions), images


def camera_dict(image: np.ndarray) -> dict[str, np.ndarray]:
    return {STATE_KEY: np.zeros(2, np.float32), IMAGE_KEY_PREFIX + "external": image}


def test_image_bc_checkpoint_runs_on_camera_dicts(tmp_path: Path) -> None:
    labelled, images = image_play(seed=5)
    data = CLAMData(labelled, labelled.observations_only(), labelled.observations_only())
    cfg = ChunkedBCConfig(IMAGE_POLICY, 8, OptimConfig(steps=3, warmup_steps=1))
    checkpoint = train_chunked_bc(
        labelled, fit_stats(data, IMAGE_LAYOUT), IMAGE_LAYOUT, cfg, quiet_run(tmp_path)
    )
    agent = LatentActionAgent.load(checkpoint)
    action = agent.act(camera_dict(images[0]))
    assert action.shape == (2,) and np.isfinite(action).all()
    with pytest.raises(KeyError, match="external"):
        agent.act({STATE_KEY: np.zeros(2, np.float32)})


def test_image_vpt_uses_the_space_time_idm(tmp_path: Path) -> None:
    labelled, images = image_play(seed=7)
    cfg = ChunkedVPTConfig(
        idm=LAMConfig(kind="spacetime", context=1, spacetime=SMALL_SPACETIME),
        idm_batch_size=4,
        idm_optim=FEW_STEPS,
        bc=ChunkedBCConfig(IMAGE_POLICY, 4, FEW_STEPS),
    )
    data = CLAMData(labelled, labelled.observations_only(), labelled.observations_only())
    checkpoint = train_chunked_vpt(data, IMAGE_LAYOUT, cfg, quiet_run(tmp_path))
    assert (tmp_path / "vpt_idm").is_dir() and (tmp_path / "vpt_bc").is_dir()
    agent = LatentActionAgent.load(checkpoint)
    assert agent.predict_chunk(camera_dict(images[0])).shape == (2, 2)


def test_image_lapa_fine_tunes_the_lapo_policy_through_a_new_action_head(tmp_path: Path) -> None:
    labelled, images = image_play(seed=9)
    clam = CLAMConfig(
        lam=LAMConfig(kind="spacetime", context=1, latent_dim=8, spacetime=SMALL_SPACETIME),
        policy=IMAGE_POLICY,
        batch_size=4,
        decoder_batch_size=4,
        policy_batch_size=4,
        stage1=FEW_STEPS,
        stage2=FEW_STEPS,
    )
    data = CLAMData(labelled, labelled.observations_only(), labelled.observations_only())
    # A vanishing fine-tuning step size: every layer but the new head must still hold LAPO's weights.
    still = OptimConfig(steps=2, warmup_steps=1, lr=1e-12)
    checkpoint = train_chunked_lapa(data, IMAGE_LAYOUT, clam, still, 4, quiet_run(tmp_path))
    pretrained = load_checkpoint(tmp_path / "lapo" / "checkpoint")
    assert pretrained.config["clam"]["lam"]["vq"]["enabled"] and pretrained.config["clam"]["beta"] == 0.0
    lapo = {k: v for k, v in pretrained.tensors.items() if k.startswith("policy.")}
    lapa = load_checkpoint(checkpoint).tensors
    assert lapa["policy.head.weight"].shape == (2, 32) and lapo["policy.head.weight"].shape == (8, 32)
    carried = [k for k in lapo if not k.startswith("policy.head.")]
    assert len(carried) > 10
    for key in carried:
        torch.testing.assert_close(lapa[key], lapo[key], atol=1e-6, rtol=0)
    chunk = LatentActionAgent.load(checkpoint).predict_chunk(camera_dict(images[0]))
    assert chunk.shape == (2, 2) and torch.isfinite(torch.as_tensor(chunk)).all()
