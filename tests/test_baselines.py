"""The paper's baselines (BC, VPT, LAPO, LAPA, DynaMo) on the toy point mass: each trains through the
shared loop and yields a batch actor with valid actions; BC on expert labels actually solves the task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import quiet_run, small_clam_config

from clam_core.algos.bc import train_bc
from clam_core.algos.clam import fit_stats
from clam_core.algos.dynamo import DynaMoConfig, off_diagonal_covariance, train_dynamo
from clam_core.algos.lapa import LAPAConfig, train_lapa
from clam_core.algos.lapo import lapo_config, train_lapo
from clam_core.algos.supervised import BCConfig
from clam_core.algos.vpt import VPTConfig, train_vpt
from clam_core.data.episodes import LabelledEpisodes
from clam_core.envs.point_mass import evaluate_policy, expert_controller, generate, make_clam_data
from clam_core.train.config import OptimConfig

TINY = OptimConfig(steps=30, warmup_steps=5)


def _bc(steps: int = 30) -> BCConfig:
    return BCConfig(
        embed_dim=32, hidden=(64, 64), batch_size=64, optim=OptimConfig(steps=steps, warmup_steps=10)
    )


@pytest.fixture(scope="module")
def data():
    return make_clam_data(play_episodes=40, expert_episodes=10, labelled_fraction=0.1)


TRAINERS = {
    "bc": lambda data, run: train_bc(data.labelled, fit_stats(data), _bc(), run),
    "vpt": lambda data, run: train_vpt(data, VPTConfig(idm_hidden=(32, 32), idm_optim=TINY, bc=_bc()), run),
    "lapo": lambda data, run: train_lapo(small_clam_config(steps=30), data, run),
    "lapa": lambda data, run: train_lapa(
        LAPAConfig(clam=small_clam_config(steps=30), finetune=TINY), data, run
    ),
    "dynamo": lambda data, run: train_dynamo(
        DynaMoConfig(embed_dim=16, hidden=(32, 32), pretrain=TINY, bc=_bc()), data, run
    ),
}


@pytest.mark.parametrize("method", sorted(TRAINERS))
def test_every_baseline_trains_and_acts_in_the_valid_range(method: str, data, tmp_path: Path) -> None:
    actor = TRAINERS[method](data, quiet_run(tmp_path))
    actor.reset(6)
    actions = actor.act_batch(np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32) * 3)
    assert actions.shape == (6, 2) and np.all(np.abs(actions) <= 1.0) and np.all(np.isfinite(actions))
    assert any(
        (tmp_path / name).is_dir() for name in ("bc", "vpt_bc", "stage2", "lapa_finetune", "dynamo_bc")
    )


def test_lapo_is_the_discrete_no_joint_training_variant_of_the_same_model() -> None:
    base = small_clam_config()
    lapo = lapo_config(base)
    assert lapo.lam.vq.enabled and lapo.beta == 0.0 and not base.lam.vq.enabled
    assert lapo.lam.mlp_hidden == base.lam.mlp_hidden and lapo.decoder == base.decoder


def test_covariance_regulariser_is_zero_for_decorrelated_features_and_grows_with_correlation() -> None:
    rng = torch.Generator().manual_seed(0)
    independent = torch.randn(20_000, 8, generator=rng)
    correlated = independent.clone()
    correlated[:, 1] = correlated[:, 0]
    assert off_diagonal_covariance(independent) < 0.01
    assert off_diagonal_covariance(correlated) > 0.2


def test_bc_on_expert_labels_solves_the_point_mass(tmp_path: Path) -> None:
    observations, actions, expert_success = generate(expert_controller, 60, seed=5)
    expert = LabelledEpisodes.from_arrays(observations, actions)
    data = make_clam_data(play_episodes=10, expert_episodes=5, labelled_fraction=0.05)
    actor = train_bc(expert, fit_stats(data), _bc(steps=600), quiet_run(tmp_path))

    def act(obs: np.ndarray) -> np.ndarray:
        return actor.act_batch(obs[None])[0]

    success = evaluate_policy(act, lambda: actor.reset(1), episodes=30, seed=1234)
    assert expert_success > 0.9 and success >= 0.8, (expert_success, success)
