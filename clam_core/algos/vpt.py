"""VPT: an inverse dynamics model trained with supervision on the small labelled set labels the expert
observations with actions, and a BC policy is trained on them. It can only scale with the labelled data."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from clam_core.algos.clam import OBS_KEY, CLAMData, fit_stats, normalize_observations
from clam_core.algos.supervised import ActionPolicy, BatchActor, BCConfig, episode_windows, fit_regression
from clam_core.data.episodes import LabelledEpisodes
from clam_core.models.frame_deltas import optional_frame_deltas
from clam_core.models.mlp import mlp
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.runtime import resolve_device


@dataclass
class VPTConfig:
    context: int = 1  # H frames before o_t, as the latent action models see
    idm_hidden: tuple[int, ...] = (1024, 1024)
    idm_frame_deltas: bool = False  # as LAMConfig.idm_frame_deltas: the IDM also sees each frame's change
    idm_batch_size: int = 128
    idm_optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))
    bc: BCConfig = field(default_factory=BCConfig)


class ActionIDM(nn.Module):
    """o_{t-H..t+1} [B, W, D] -> a_t [B, A] in [-1, 1]."""

    def __init__(
        self, obs_dim: int, action_dim: int, window: int, hidden: tuple[int, ...], frame_deltas: bool = False
    ) -> None:
        super().__init__()
        self.frame_deltas, features = optional_frame_deltas(obs_dim, frame_deltas)
        self.net = mlp(window * features, hidden, action_dim)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        if self.frame_deltas is not None:
            windows = self.frame_deltas(windows)
        return torch.tanh(self.net(windows.flatten(1)))


def train_vpt(data: CLAMData, cfg: VPTConfig, run: RunConfig) -> BatchActor:
    device = resolve_device(run.device)
    stats = fit_stats(data)
    labelled = LabelledEpisodes(
        stats.normalize(OBS_KEY, data.labelled.observations.to(device)),
        data.labelled.episode_ends,
        data.labelled.actions.to(device),
    )
    windows, _, actions = episode_windows(labelled, cfg.context)
    idm = ActionIDM(
        labelled.obs_dim, labelled.action_dim, cfg.context + 2, cfg.idm_hidden, cfg.idm_frame_deltas
    ).to(device)
    if idm.frame_deltas is not None:
        idm.frame_deltas.fit(data.unlabelled.to(device), stats)
    fit_regression(
        "vpt_idm",
        {"idm": idm},
        idm,
        windows,
        actions,
        cfg.idm_optim,
        cfg.idm_batch_size,
        run,
        {"algo": "vpt"},
    )
    idm.eval()
    expert = normalize_observations(data.expert, stats, device)
    expert_windows, expert_obs, _ = episode_windows(expert, cfg.context)
    with torch.no_grad():
        pseudo_actions = torch.cat([idm(chunk) for chunk in expert_windows.split(4096)])
    policy = ActionPolicy(labelled.obs_dim, labelled.action_dim, cfg.bc).to(device)
    fit_regression(
        "vpt_bc",
        {"policy": policy},
        policy,
        expert_obs,
        pseudo_actions,
        cfg.bc.optim,
        cfg.bc.batch_size,
        run,
        {"algo": "vpt"},
    )
    policy.eval()
    return BatchActor(policy, stats, device)
