"""Behaviour cloning on action-labelled episodes: BC-AL (the small non-expert labelled set) and BC-Expert
(privileged: the expert demos with their actions, an upper reference no other method gets)."""

from __future__ import annotations

from clam_core.algos.clam import OBS_KEY
from clam_core.algos.supervised import ActionPolicy, BatchActor, BCConfig, fit_regression
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.normalization import NormStats
from clam_core.train.config import RunConfig
from clam_core.train.runtime import resolve_device


def train_bc(episodes: LabelledEpisodes, stats: NormStats, cfg: BCConfig, run: RunConfig) -> BatchActor:
    """Fit obs -> action (actions stay raw: the policy's tanh keeps them in [-1, 1])."""
    device = resolve_device(run.device)
    policy = ActionPolicy(episodes.obs_dim, episodes.action_dim, cfg).to(device)
    inputs = stats.normalize(OBS_KEY, episodes.observations.to(device))
    fit_regression(
        "bc",
        {"policy": policy},
        policy,
        inputs,
        episodes.actions.to(device),
        cfg.optim,
        cfg.batch_size,
        run,
        {"algo": "bc"},
    )
    policy.eval()
    return BatchActor(policy, stats, device)
