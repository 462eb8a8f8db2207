"""Optional VQ bottleneck on latent actions, for the discrete ablations (LAPO-style)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn


@dataclass
class VQConfig:
    """Every option passed to `VectorQuantize` is spelled out so a library default change cannot drift in."""

    enabled: bool = False
    codebook_size: int = 64
    decay: float = 0.8
    commitment_weight: float = 1.0
    kmeans_init: bool = False
    threshold_ema_dead_code: int = 2


class LatentQuantizer(nn.Module):
    def __init__(self, latent_dim: int, cfg: VQConfig) -> None:
        super().__init__()
        from vector_quantize_pytorch import VectorQuantize  # pulls einx, seconds to import

        self.vq = VectorQuantize(
            dim=latent_dim,
            codebook_size=cfg.codebook_size,
            decay=cfg.decay,
            commitment_weight=cfg.commitment_weight,
            kmeans_init=cfg.kmeans_init,
            threshold_ema_dead_code=cfg.threshold_ema_dead_code,
            use_cosine_sim=False,
            rotation_trick=False,
            learnable_codebook=False,
        )

    def forward(self, latents: Tensor) -> tuple[Tensor, Tensor]:
        """Quantise [B, T, D] latents; returns (quantised latents, commitment loss)."""
        quantized, _, commit_loss = self.vq(latents)
        return quantized, commit_loss.sum()
