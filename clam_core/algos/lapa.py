"""LAPA: LAPO-style pretraining (VQ latent action model, latent policy on the relabelled expert
observations), then the policy's last layer is replaced by an action head and the whole policy is
fine-tuned on the labelled (non-expert) data, the only action labels this setting has."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from clam_core.algos.clam import OBS_KEY, CLAMConfig, CLAMData, train_clam
from clam_core.algos.lapo import lapo_config
from clam_core.algos.supervised import BatchActor, fit_regression
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.runtime import resolve_device


@dataclass
class LAPAConfig:
    clam: CLAMConfig = field(default_factory=CLAMConfig)
    finetune: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))
    finetune_batch_size: int = 128


def train_lapa(cfg: LAPAConfig, data: CLAMData, run: RunConfig) -> BatchActor:
    device = resolve_device(run.device)
    _, model, stats = train_clam(lapo_config(cfg.clam), data, run)
    policy = model.policy.train()
    policy.replace_output_head(data.labelled.action_dim)

    def predict(observations: Tensor) -> Tensor:
        return torch.tanh(policy(observations)[..., 0, :])  # the chunk's first step

    inputs = stats.normalize(OBS_KEY, data.labelled.observations.to(device))
    fit_regression(
        "lapa_finetune",
        {"policy": policy},
        predict,
        inputs,
        data.labelled.actions.to(device),
        cfg.finetune,
        cfg.finetune_batch_size,
        run,
        {"algo": "lapa"},
    )
    policy.eval()
    return BatchActor(predict, stats, device)
