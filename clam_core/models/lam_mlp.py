"""MLP latent action model (paper Appendix G.3): both IDM and FDM are MLPs over the flattened window."""

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from clam_core.models.mlp import mlp


class MLPIDM(nn.Module):
    """f(z_t | o_{t-H..t+1}): the whole window in, one latent action (for the last transition) out."""

    def __init__(self, obs_dim: int, latent_dim: int, window: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.net = mlp(window * obs_dim, hidden, latent_dim)

    def forward(self, windows: Tensor) -> Tensor:
        """[B, W, D] -> [B, 1, latent_dim]."""
        return self.net(windows.flatten(1)).unsqueeze(1)


class MLPFDM(nn.Module):
    """g(o_{t+1} | o_{t-H..t}, z_t)."""

    def __init__(self, obs_dim: int, latent_dim: int, window: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.net = mlp((window - 1) * obs_dim + latent_dim, hidden, obs_dim)

    def forward(self, context: Tensor, latents: Tensor) -> Tensor:
        """context [B, W-1, D], latents [B, 1, Z] -> predicted o_{t+1} [B, 1, D]."""
        return self.net(torch.cat([context.flatten(1), latents[:, -1]], dim=-1)).unsqueeze(1)
