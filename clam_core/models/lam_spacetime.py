"""Space-Time latent action model for image observations (paper Appendix G.2, after Bruce et al.'s ST
Transformer).

Each frame becomes a row of tokens: a CLS/action token, the 16x16 patches of every camera (one linear patch
embedding, 768 -> d at 16x16x3) and, optionally, one proprioception token. A block applies spatial attention
within each frame, then temporal attention across frames at each token position, then a feed-forward layer.

IDM: bidirectional in time over `o_{t-H..t+1}`; the latent of transition k -> k+1 is read from the CLS token
of frame k+1. FDM: temporal attention is causal, and each frame's tokens cross-attend to the latents of the
transitions up to their own (the paper leaves this cross-attention unmasked; masking it makes the prediction
of `o_{k+1}` depend on nothing later than `o_k` and `z_k`). It predicts every camera's pixels patch by patch;
with proprioception fused, the state is predicted from the proprioception token, otherwise it is carried over
from the last frame. Pre-norm blocks: the post-norm layout of the state transformer trains poorly from
scratch on pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.lam_transformer import causal_mask


@dataclass
class SpaceTimeSize:
    """Paper: 64x64 images, 16x16 patches, 3 ST blocks of width 256 with a 2048 feed-forward layer."""

    d_model: int = 256
    n_heads: int = 4
    n_layers: int = 3
    ff_dim: int = 2048
    dropout: float = 0.1
    patch_size: int = 16
    use_state: bool = True  # fuse proprioception in as one token per frame


class SpaceTimeBlock(nn.Module):
    """Spatial attention, temporal attention, (cross-attention to latents), feed-forward; pre-norm."""

    def __init__(self, size: SpaceTimeSize, cross: bool) -> None:
        super().__init__()
        d, heads, drop = size.d_model, size.n_heads, size.dropout
        self.spatial_norm, self.temporal_norm, self.ff_norm = (nn.LayerNorm(d) for _ in range(3))
        self.spatial_attn = nn.MultiheadAttention(d, heads, dropout=drop, batch_first=True)
        self.temporal_attn = nn.MultiheadAttention(d, heads, dropout=drop, batch_first=True)
        self.cross_norm = nn.LayerNorm(d) if cross else None
        self.cross_attn = nn.MultiheadAttention(d, heads, dropout=drop, batch_first=True) if cross else None
        self.feed_forward = nn.Sequential(
            nn.Linear(d, size.ff_dim), nn.GELU(), nn.Dropout(drop), nn.Linear(size.ff_dim, d)
        )
        self.dropout = nn.Dropout(drop)

    def forward(
        self,
        tokens: Tensor,
        temporal_mask: Tensor | None = None,
        memory: Tensor | None = None,
        memory_mask: Tensor | None = None,
    ) -> Tensor:
        """tokens [B, T, N, d]; masks are True where attention is blocked; memory [B, L, d]."""
        batch, frames, count, d = tokens.shape
        spatial = tokens.reshape(batch * frames, count, d)
        normed = self.spatial_norm(spatial)
        spatial = spatial + self.dropout(self.spatial_attn(normed, normed, normed, need_weights=False)[0])
        temporal = spatial.reshape(batch, frames, count, d).transpose(1, 2).reshape(batch * count, frames, d)
        normed = self.temporal_norm(temporal)
        attended = self.temporal_attn(normed, normed, normed, attn_mask=temporal_mask, need_weights=False)[0]
        temporal = temporal + self.dropout(attended)
        if self.cross_attn is not None and memory is not None:
            keys = memory.repeat_interleave(count, dim=0)  # every token position sees its sample's latents
            normed = self.cross_norm(temporal)
            attended = self.cross_attn(normed, keys, keys, attn_mask=memory_mask, need_weights=False)[0]
            temporal = temporal + self.dropout(attended)
        temporal = temporal + self.dropout(self.feed_forward(self.ff_norm(temporal)))
        return temporal.reshape(batch, count, frames, d).transpose(1, 2)


class FrameTokenizer(nn.Module):
    """Flat observations [B, T, D] -> tokens [B, T, 1 + patches (+1), d] with space and time embeddings."""

    def __init__(self, layout: ObservationLayout, size: SpaceTimeSize, max_frames: int) -> None:
        super().__init__()
        if not layout.has_images:
            raise ValueError("the space-time LAM needs at least one camera in the observation layout")
        if layout.image_size % size.patch_size:
            raise ValueError(f"image size {layout.image_size} is not a multiple of patch {size.patch_size}")
        self.layout, self.patch_size = layout, size.patch_size
        self.patches_per_image = (layout.image_size // size.patch_size) ** 2
        self.use_state = size.use_state and layout.state_dim > 0
        d = size.d_model
        self.cls_token = nn.Parameter(torch.zeros(d))
        self.patch_embed = nn.Linear(3 * size.patch_size**2, d)
        self.state_embed = nn.Linear(layout.state_dim, d) if self.use_state else None
        self.count = 1 + len(layout.cameras) * self.patches_per_image + int(self.use_state)
        self.spatial_pos = nn.Embedding(self.count, d)
        self.temporal_pos = nn.Embedding(max_frames, d)
        nn.init.normal_(self.cls_token, std=0.02)

    def patchify(self, images: Tensor) -> Tensor:
        """[..., 3, P, P] -> [..., patches, p*p*3] (patches row by row, each cell's pixels channels-last)."""
        p, grid = self.patch_size, self.layout.image_size // self.patch_size
        lead = images.shape[:-3]
        cells = images.reshape(-1, 3, grid, p, grid, p).permute(0, 2, 4, 3, 5, 1)
        return cells.reshape(*lead, grid * grid, p * p * 3)

    def unpatchify(self, patches: Tensor) -> Tensor:
        """[..., patches, p*p*3] -> [..., 3, P, P]."""
        p, grid = self.patch_size, self.layout.image_size // self.patch_size
        lead = patches.shape[:-2]
        cells = patches.reshape(-1, grid, grid, p, p, 3).permute(0, 5, 1, 3, 2, 4)
        return cells.reshape(*lead, 3, grid * p, grid * p)

    def forward(self, observations: Tensor) -> Tensor:
        batch, frames, _ = observations.shape
        patches = self.patchify(self.layout.images(observations)).flatten(2, 3)  # [B, T, C*n, 3pp]
        parts = [self.cls_token.expand(batch, frames, 1, -1), self.patch_embed(patches)]
        if self.state_embed is not None:
            parts.append(self.state_embed(self.layout.state(observations)).unsqueeze(2))
        tokens = torch.cat(parts, dim=2)
        space = self.spatial_pos(torch.arange(self.count, device=tokens.device))
        time = self.temporal_pos(torch.arange(frames, device=tokens.device))
        return tokens + space + time[:, None]


class SpaceTimeIDM(nn.Module):
    def __init__(self, layout: ObservationLayout, latent_dim: int, window: int, size: SpaceTimeSize) -> None:
        super().__init__()
        self.tokenizer = FrameTokenizer(layout, size, window)
        self.blocks = nn.ModuleList(SpaceTimeBlock(size, cross=False) for _ in range(size.n_layers))
        self.norm = nn.LayerNorm(size.d_model)
        self.latent_head = nn.Linear(size.d_model, latent_dim)

    def forward(self, windows: Tensor) -> Tensor:
        """[B, W, D] -> latents of the W-1 transitions [B, W-1, Z] (bidirectional in time)."""
        tokens = self.tokenizer(windows)
        for block in self.blocks:
            tokens = block(tokens)
        return self.latent_head(self.norm(tokens[:, 1:, 0]))


class SpaceTimeFDM(nn.Module):
    def __init__(self, layout: ObservationLayout, latent_dim: int, window: int, size: SpaceTimeSize) -> None:
        super().__init__()
        self.layout = layout
        self.tokenizer = FrameTokenizer(layout, size, window - 1)
        d = size.d_model
        self.latent_embed = nn.Linear(latent_dim, d)
        self.latent_pos = nn.Embedding(window - 1, d)
        self.blocks = nn.ModuleList(SpaceTimeBlock(size, cross=True) for _ in range(size.n_layers))
        self.norm = nn.LayerNorm(d)
        self.to_patch = nn.Linear(d, 3 * size.patch_size**2)
        self.to_state = nn.Linear(d, layout.state_dim) if self.tokenizer.use_state else None

    def forward(self, context: Tensor, latents: Tensor) -> Tensor:
        """context [B, n, D] (o_{t-H..t}), latents [B, n, Z] -> predictions of o_{t-H+1..t+1} [B, n, D]."""
        frames = context.shape[1]
        mask = causal_mask(frames, context.device)
        memory = self.latent_embed(latents) + self.latent_pos(torch.arange(frames, device=context.device))
        tokens = self.tokenizer(context)
        for block in self.blocks:
            tokens = block(tokens, temporal_mask=mask, memory=memory, memory_mask=mask)
        tokens = self.norm(tokens)
        tokenizer = self.tokenizer
        patch_tokens = tokens[:, :, 1 : 1 + len(self.layout.cameras) * tokenizer.patches_per_image]
        patches = self.to_patch(patch_tokens).unflatten(2, (len(self.layout.cameras), -1))
        images = tokenizer.unpatchify(patches)  # [B, n, C, 3, P, P]
        state = self.to_state(tokens[:, :, -1]) if self.to_state is not None else self.layout.state(context)
        return self.layout.join(state, images)
