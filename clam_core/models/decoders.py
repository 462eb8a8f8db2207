"""Action decoder p(a_t | z_t): latent action -> environment action (paper Table 11)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from clam_core.models.mlp import mlp


@dataclass
class DecoderConfig:
    embed_dim: int = 512
    hidden: tuple[int, ...] = (1024, 1024, 1024)


class ActionDecoder(nn.Module):
    def __init__(self, latent_dim: int, action_dim: int, cfg: DecoderConfig) -> None:
        super().__init__()
        self.embed = nn.Linear(latent_dim, cfg.embed_dim)
        self.head = mlp(cfg.embed_dim, cfg.hidden, action_dim)

    def forward(self, latents: Tensor) -> Tensor:
        """[..., latent_dim] -> [..., action_dim] (normalised action space)."""
        return self.head(self.embed(latents))
