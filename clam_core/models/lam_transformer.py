"""Transformer latent action model (paper Appendix G.3, Table 12).

IDM: a bidirectional encoder over `o_{t-H..t+1}`; the latent of transition k -> k+1 is read from position k+1.
FDM: a causal decoder over `o_{t-H..t}` whose position k predicts `o_{k+1}`; it cross-attends, without a mask,
to the latents of every transition in the window, as in the paper.
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from clam_core.models.mlp import LEAKY_SLOPE


def causal_mask(length: int, device: torch.device) -> Tensor:
    """Boolean mask, True where attention is blocked: position i may attend to positions <= i only."""
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(diagonal=1)


@dataclass
class TransformerSize:
    """Paper Table 12: post-norm layers, GeLU feed-forward, learned position embeddings."""

    d_model: int = 256
    n_heads: int = 4
    n_layers: int = 3
    ff_dim: int = 2048
    dropout: float = 0.1

    def layer_args(self) -> dict:
        return {
            "d_model": self.d_model,
            "nhead": self.n_heads,
            "dim_feedforward": self.ff_dim,
            "dropout": self.dropout,
            "activation": "gelu",
            "batch_first": True,
            "norm_first": False,
        }


class TransformerIDM(nn.Module):
    def __init__(self, obs_dim: int, latent_dim: int, window: int, size: TransformerSize) -> None:
        super().__init__()
        d_model = size.d_model
        self.input_embed = nn.Linear(obs_dim, d_model)
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)
        self.pos_embed = nn.Embedding(window, d_model)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(**size.layer_args()), size.n_layers, enable_nested_tensor=False
        )
        self.latent_head = nn.Linear(d_model, latent_dim)

    def forward(self, windows: Tensor) -> Tensor:
        """[B, W, D] -> latents of the W-1 transitions in the window [B, W-1, Z]."""
        positions = torch.arange(windows.shape[1], device=windows.device)
        hidden = self.activation(self.input_embed(windows)) + self.pos_embed(positions)
        return self.latent_head(self.encoder(hidden)[:, 1:])


class TransformerFDM(nn.Module):
    def __init__(self, obs_dim: int, latent_dim: int, window: int, size: TransformerSize) -> None:
        super().__init__()
        d_model = size.d_model
        self.input_embed = nn.Linear(obs_dim, d_model)
        self.latent_embed = nn.Linear(latent_dim, d_model)
        self.activation = nn.LeakyReLU(LEAKY_SLOPE)
        self.decoder_pos_embed = nn.Embedding(window - 1, d_model)
        self.latent_pos_embed = nn.Embedding(window - 1, d_model)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(**size.layer_args()), size.n_layers, norm=nn.LayerNorm(d_model)
        )
        self.to_observation = nn.Linear(d_model, obs_dim)

    def forward(self, context: Tensor, latents: Tensor) -> Tensor:
        """context [B, n, D] (o_{t-H..t}), latents [B, n, Z] -> predictions of o_{t-H+1..t+1} [B, n, D]."""
        length = context.shape[1]
        positions = torch.arange(length, device=context.device)
        queries = self.activation(self.input_embed(context)) + self.decoder_pos_embed(positions)
        memory = self.latent_embed(latents) + self.latent_pos_embed(positions)
        mask = causal_mask(length, context.device)
        hidden = self.decoder(queries, memory, tgt_mask=mask, tgt_is_causal=True)
        return self.to_observation(hidden)
