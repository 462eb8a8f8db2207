"""Latent action policies pi(z | o): predict a chunk of `chunk_size` latent actions from the observation."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.image_policy import ChunkedImagePolicy, ImagePolicyConfig
from clam_core.models.mlp import mlp


@dataclass
class PolicyConfig:
    embed_dim: int = 512
    hidden: tuple[int, ...] = (1024, 1024)
    chunk_size: int = 1
    ensemble_coeff: float = 0.5  # m in w_i = exp(-m * i) at inference (paper's real-robot value)
    image: ImagePolicyConfig = field(default_factory=ImagePolicyConfig)  # used when there are cameras


class MLPLatentPolicy(nn.Module):
    """The paper's state-based policy (Appendix G.1) with a latent output head: obs -> [chunk, latent_dim]."""

    def __init__(self, obs_dim: int, latent_dim: int, cfg: PolicyConfig) -> None:
        super().__init__()
        self.chunk_size = cfg.chunk_size
        self.latent_dim = latent_dim
        self.embed = nn.Linear(obs_dim, cfg.embed_dim)
        self.head = mlp(cfg.embed_dim, cfg.hidden, cfg.chunk_size * latent_dim)

    def replace_output_head(self, dim: int) -> None:
        """A fresh last layer with `dim` outputs per chunk step (LAPA's action head); the rest is kept."""
        last = self.head[-1]
        self.head[-1] = nn.Linear(last.in_features, self.chunk_size * dim).to(last.weight.device)
        self.latent_dim = dim

    def forward(self, observations: Tensor) -> Tensor:
        """[B, obs_dim] -> [B, chunk_size, latent_dim]."""
        out = self.head(self.embed(observations))
        return out.view(*observations.shape[:-1], self.chunk_size, self.latent_dim)


def build_latent_policy(
    layout: ObservationLayout, latent_dim: int, cfg: PolicyConfig, idm: nn.Module | None = None
) -> nn.Module:
    """The MLP policy on states, the chunked transformer on images (+ state)."""
    if layout.has_images:
        return ChunkedImagePolicy(layout, latent_dim, cfg.chunk_size, cfg.image, idm)
    return MLPLatentPolicy(layout.state_dim, latent_dim, cfg)
