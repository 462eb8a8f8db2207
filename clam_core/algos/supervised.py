"""Pieces the action-space baselines share: the paper's BC policy network (Appendix G.1: an MLP with
LeakyReLU and a tanh output into the valid action range), one regression loop on tensors, and the batched
actor the benchmarks roll out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from clam_core.algos.clam import ACTION_KEY, OBS_KEY, CLAMModel
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.windows import NormalizedRows, transition_windows, valid_timesteps
from clam_core.models.mlp import mlp
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.loop import Trainer


@dataclass
class BCConfig:
    embed_dim: int = 512
    hidden: tuple[int, ...] = (1024, 1024)
    batch_size: int = 128
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))


class ActionPolicy(nn.Module):
    """obs [B, D] -> action [B, A] in [-1, 1]."""

    def __init__(self, obs_dim: int, action_dim: int, cfg: BCConfig) -> None:
        super().__init__()
        self.embed = nn.Linear(obs_dim, cfg.embed_dim)
        self.head = mlp(cfg.embed_dim, cfg.hidden, action_dim)

    def forward(self, observations: Tensor) -> Tensor:
        return torch.tanh(self.head(self.embed(observations)))


def fit_regression(
    name: str,
    modules: dict[str, nn.Module],
    predict: Callable[[Tensor], Tensor],
    inputs: Tensor | NormalizedRows,
    targets: Tensor,
    optim: OptimConfig,
    batch_size: int,
    run: RunConfig,
    config: dict,
) -> None:
    """Minimise MSE(predict(inputs[i]), targets[i]) over random minibatches with the shared trainer
    (progress bar, resumable state under `<out_dir>/<name>`); only `modules`' parameters are trained."""
    if len(inputs) == 0:
        raise ValueError(f"{name}: no training pairs")
    device = inputs.device
    generator = torch.Generator(device=device).manual_seed(run.seed + len(name))

    def step(_: int) -> dict[str, Tensor]:
        picks = torch.randint(len(inputs), (batch_size,), device=device, generator=generator)
        loss = F.mse_loss(predict(inputs[picks]), targets[picks])
        return {"loss": loss}

    Trainer(name, modules, optim, run, device, config, generators={"batch": generator}).fit(step)


def episode_windows(
    episodes: ObservationEpisodes | LabelledEpisodes, context: int
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Every full window of the episodes: (windows [N, H+2, D], o_t [N, D], a_t [N, A] or None)."""
    t = valid_timesteps(episodes.episode_ends, context).to(episodes.observations.device)
    actions = getattr(episodes, "actions", None)
    windows, labels = transition_windows(episodes.observations, t, context, actions)
    return windows, episodes.observations[t], labels


class BatchActor:
    """Runs a trained network on a batch of raw observations: normalise, predict, clip to [-1, 1]."""

    def __init__(self, predict: Callable[[Tensor], Tensor], stats: NormStats, device: torch.device) -> None:
        self.predict, self.stats, self.device = predict, stats, device

    def reset(self, count: int) -> None:
        """Stateless: nothing carries over between episodes."""

    @torch.no_grad()
    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        obs = torch.as_tensor(np.asarray(observations, np.float32), device=self.device)
        actions = self.predict(self.stats.normalize(OBS_KEY, obs))
        return actions.clamp(-1.0, 1.0).float().cpu().numpy()


def latent_actor(model: CLAMModel, stats: NormStats, device: torch.device) -> BatchActor:
    """A trained latent policy + action decoder as a batch actor (first action of each chunk)."""
    model.eval()

    def predict(observations: Tensor) -> Tensor:
        return stats.unnormalize(ACTION_KEY, model.decoder(model.policy(observations)[:, 0]))

    return BatchActor(predict, stats, device)
