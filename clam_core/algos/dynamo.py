"""DynaMo: self-supervised pretraining of an observation encoder with an inverse and a forward dynamics model
that work in the encoder's embedding space (predict the next embedding), kept from collapsing by a
covariance regulariser; then BC on the labelled data from the frozen embeddings. It never relabels the
unlabelled data, so the policy only sees the non-expert labelled episodes."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from clam_core.algos.clam import OBS_KEY, CLAMData, fit_stats, normalize_observations
from clam_core.algos.supervised import ActionPolicy, BatchActor, BCConfig, episode_windows, fit_regression
from clam_core.models.mlp import mlp
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.loop import Trainer
from clam_core.train.runtime import resolve_device


@dataclass
class DynaMoConfig:
    embed_dim: int = 256
    latent_dim: int = 16
    hidden: tuple[int, ...] = (1024, 1024)
    covariance_weight: float = 0.04
    batch_size: int = 128
    pretrain: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))
    bc: BCConfig = field(default_factory=BCConfig)


class DynaMoModel(nn.Module):
    def __init__(self, obs_dim: int, cfg: DynaMoConfig) -> None:
        super().__init__()
        self.encoder = mlp(obs_dim, cfg.hidden, cfg.embed_dim)
        self.idm = mlp(2 * cfg.embed_dim, cfg.hidden, cfg.latent_dim)
        self.fdm = mlp(cfg.embed_dim + cfg.latent_dim, cfg.hidden, cfg.embed_dim)

    def losses(self, pairs: Tensor, covariance_weight: float) -> dict[str, Tensor]:
        """pairs [B, 2, D] = (o_t, o_{t+1})."""
        now, following = self.encoder(pairs[:, 0]), self.encoder(pairs[:, 1])
        latent = self.idm(torch.cat([now, following], dim=-1))
        predicted = self.fdm(torch.cat([now, latent], dim=-1))
        dynamics = F.mse_loss(predicted, following.detach())
        covariance = off_diagonal_covariance(torch.cat([now, following]))
        return {
            "loss": dynamics + covariance_weight * covariance,
            "dynamics": dynamics,
            "covariance": covariance,
        }


def off_diagonal_covariance(embeddings: Tensor) -> Tensor:
    """Sum of squared off-diagonal covariances / dim: decorrelates the embedding's features."""
    centred = embeddings - embeddings.mean(0)
    covariance = centred.T @ centred / max(embeddings.shape[0] - 1, 1)
    off_diagonal = covariance - torch.diag(torch.diagonal(covariance))
    return off_diagonal.pow(2).sum() / embeddings.shape[1]


def train_dynamo(cfg: DynaMoConfig, data: CLAMData, run: RunConfig) -> BatchActor:
    device = resolve_device(run.device)
    stats = fit_stats(data)
    pairs, _, _ = episode_windows(normalize_observations(data.unlabelled, stats, device), context=0)
    model = DynaMoModel(data.unlabelled.obs_dim, cfg).to(device)
    generator = torch.Generator(device=device).manual_seed(run.seed)

    def pretrain_step(_: int) -> dict[str, Tensor]:
        picks = torch.randint(pairs.shape[0], (cfg.batch_size,), device=device, generator=generator)
        return model.losses(pairs[picks], cfg.covariance_weight)

    Trainer(
        "dynamo_pretrain",
        {"dynamo": model},
        cfg.pretrain,
        run,
        device,
        {"algo": "dynamo"},
        generators={"batch": generator},
    ).fit(pretrain_step)
    encoder = model.encoder.eval().requires_grad_(False)
    head = ActionPolicy(cfg.embed_dim, data.labelled.action_dim, cfg.bc).to(device)

    def predict(observations: Tensor) -> Tensor:
        return head(encoder(observations))

    inputs = stats.normalize(OBS_KEY, data.labelled.observations.to(device))
    fit_regression(
        "dynamo_bc",
        {"head": head},
        predict,
        inputs,
        data.labelled.actions.to(device),
        cfg.bc.optim,
        cfg.bc.batch_size,
        run,
        {"algo": "dynamo"},
    )
    head.eval()
    return BatchActor(predict, stats, device)
