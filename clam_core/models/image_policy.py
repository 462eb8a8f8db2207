"""Chunked transformer latent policy for camera images (paper Appendix F, Fig. 6; after ACT and HPT).

Each camera's image goes through a backbone whose feature map is flattened into tokens (ResNet18: 512
channels, a 2x2 map at 64x64 and 7x7 at 224x224), projected to the model width, and tagged with a
per-modality embedding and a fixed sinusoidal position embedding; the proprioceptive state adds one token.
`chunk_size` learnable action queries go through a transformer decoder (causal self-attention among the
queries, cross-attention to all observation tokens) and a linear head gives a chunk of latent actions.

Backbones: `resnet18` (torchvision's architecture, from scratch, or with weights read from a local file:
nothing is downloaded); `idm`: a copy of the space-time IDM's frame encoder (patch embedding and blocks),
so the policy starts from features the latent action model already learned; `convnet`: a small CNN that
trains in minutes on a CPU (the demo's and the CPU benchmark profile's choice, shared by every method).
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.augment import random_shift
from clam_core.models.lam_transformer import causal_mask

BACKBONES = ("resnet18", "idm", "convnet")
CONVNET_CHANNELS = (32, 64, 128, 256)  # each layer halves the image: 64x64 -> a 4x4 map
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESNET_CHANNELS = 512


@dataclass
class ImagePolicyConfig:
    backbone: str = "resnet18"  # one of BACKBONES
    pretrained_path: str = ""  # local ResNet18 weights (.safetensors or a torch state dict); "" = scratch
    d_model: int = 512
    n_heads: int = 8
    n_layers: int = 4
    ff_dim: int = 2048
    dropout: float = 0.1
    # Training only: each camera image shifted by up to this many pixels (`augment.random_shift`); 0 = off.
    # The `idm` backbone sees the IDM's own inputs unshifted.
    random_shift: int = 0

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ValueError(f"unknown policy backbone {self.backbone!r}; choose one of {BACKBONES}")
        if self.random_shift < 0:
            raise ValueError(f"random_shift must be non-negative, got {self.random_shift}")


@functools.cache
def sinusoidal_embedding(count: int, dim: int) -> Tensor:
    """[count, dim] fixed sin/cos position embedding (Vaswani et al.)."""
    positions = torch.arange(count, dtype=torch.float32)[:, None]
    rates = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10_000.0) / dim))
    table = torch.zeros(count, dim)
    table[:, 0::2] = torch.sin(positions * rates)
    table[:, 1::2] = torch.cos(positions * rates[: dim // 2])
    return table


def load_resnet_weights(backbone: nn.Module, path: Path) -> None:
    """Copy ResNet18 weights from a local file (the classifier head, if present, is ignored)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: pretrained ResNet18 weights not found")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = backbone.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("fc.")]
    if missing or unexpected:
        raise ValueError(f"{path}: not ResNet18 weights (missing {missing[:3]}, unexpected {unexpected[:3]})")


def feature_map_tokens(maps: Tensor, batch: int, cameras: int) -> Tensor:
    """[B*C, channels, h, w] feature maps -> [B, C * h * w, channels] tokens, camera by camera."""
    return maps.flatten(2).transpose(1, 2).reshape(batch, cameras * maps.shape[2] * maps.shape[3], -1)


class ResNetTokens(nn.Module):
    """Images [B, C, 3, P, P] (normalised to [-1, 1]) -> tokens [B, C * h * w, 512]."""

    def __init__(self, pretrained_path: str) -> None:
        super().__init__()
        from torchvision.models import resnet18  # torchvision only where an image policy is built

        net = resnet18(weights=None)
        if pretrained_path:
            load_resnet_weights(net, Path(pretrained_path).expanduser())
        self.features = nn.Sequential(*list(net.children())[:-2])  # drop the pooling and the classifier
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(3, 1, 1), persistent=False)
        self.channels = RESNET_CHANNELS

    def forward(self, images: Tensor) -> Tensor:
        batch, cameras = images.shape[:2]
        pixels = ((images.flatten(0, 1) + 1) / 2 - self.mean) / self.std
        maps = self.features(pixels)  # [B*C, 512, h, w]
        return feature_map_tokens(maps, batch, cameras)


class ConvTokens(nn.Module):
    """Images [B, C, 3, P, P] in [-1, 1] -> tokens [B, C * h * w, 256] from stride-2 3x3 convolutions."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 3
        for channels in CONVNET_CHANNELS:
            # GroupNorm, not BatchNorm: batch statistics differ between training and one-frame inference.
            layers += [
                nn.Conv2d(width, channels, 3, stride=2, padding=1),
                nn.GroupNorm(8, channels),
                nn.GELU(),
            ]
            width = channels
        self.features = nn.Sequential(*layers)
        self.channels = width

    def forward(self, images: Tensor) -> Tensor:
        batch, cameras = images.shape[:2]
        maps = self.features(images.flatten(0, 1))
        return feature_map_tokens(maps, batch, cameras)


class IDMFrameTokens(nn.Module):
    """The space-time IDM's tokenizer and blocks applied to the current frame alone -> its patch tokens."""

    def __init__(self, idm: nn.Module) -> None:
        super().__init__()
        self.idm = copy.deepcopy(idm)  # its own copy: the LAM stays frozen and checkpoints share nothing
        self.channels = self.idm.latent_head.in_features

    def forward(self, flat_observations: Tensor) -> Tensor:
        tokens = self.idm.tokenizer(flat_observations[:, None])
        for block in self.idm.blocks:
            tokens = block(tokens)
        return self.idm.norm(tokens[:, 0])  # [B, N, d_idm]


class ChunkedImagePolicy(nn.Module):
    """pi(z_{t..t+k-1} | images_t, state_t): flat observations [B, D] -> [B, chunk_size, latent_dim]."""

    def __init__(
        self,
        layout: ObservationLayout,
        latent_dim: int,
        chunk_size: int,
        cfg: ImagePolicyConfig,
        idm: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if not layout.has_images:
            raise ValueError("the image policy needs at least one camera in the observation layout")
        self.layout, self.chunk_size, self.latent_dim = layout, chunk_size, latent_dim
        self.random_shift = cfg.random_shift
        d = cfg.d_model
        if cfg.backbone == "idm":
            if idm is None:
                raise ValueError("backbone 'idm' needs the space-time IDM")
            self.backbone: nn.Module = IDMFrameTokens(idm)
        elif cfg.backbone == "convnet":
            self.backbone = ConvTokens()
        else:
            self.backbone = ResNetTokens(cfg.pretrained_path)
        self.project = nn.Linear(self.backbone.channels, d)
        self.state_embed = nn.Linear(layout.state_dim, d) if layout.state_dim else None
        # Modality embeddings: one per camera, one for the state (IDM tokens mix cameras: one shared).
        self.modality = nn.Embedding(len(layout.cameras) + 1, d)
        self.queries = nn.Parameter(torch.randn(chunk_size, d) * 0.02)
        layer = nn.TransformerDecoderLayer(
            d, cfg.n_heads, cfg.ff_dim, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.decoder = nn.TransformerDecoder(layer, cfg.n_layers, norm=nn.LayerNorm(d))
        self.head = nn.Linear(d, latent_dim)

    def replace_output_head(self, dim: int) -> None:
        """A fresh last layer with `dim` outputs per chunk step (LAPA's action head); the rest is kept."""
        self.head = nn.Linear(self.head.in_features, dim).to(self.head.weight.device)
        self.latent_dim = dim

    def observation_tokens(self, observations: Tensor) -> Tensor:
        if isinstance(self.backbone, IDMFrameTokens):
            tokens = self.project(self.backbone(observations))
            camera_ids = torch.zeros(tokens.shape[1], dtype=torch.long, device=tokens.device)
        else:
            images = self.layout.images(observations)
            if self.training:
                images = random_shift(images, self.random_shift)
            tokens = self.project(self.backbone(images))
            per_camera = tokens.shape[1] // len(self.layout.cameras)
            camera_ids = torch.arange(len(self.layout.cameras), device=tokens.device)
            camera_ids = camera_ids.repeat_interleave(per_camera)
        count = tokens.shape[1]
        positions = sinusoidal_embedding(count, tokens.shape[-1]).to(tokens.device)
        tokens = tokens + positions + self.modality(camera_ids)
        if self.state_embed is not None:
            state_id = torch.full((1,), len(self.layout.cameras), dtype=torch.long, device=tokens.device)
            state = self.state_embed(self.layout.state(observations)) + self.modality(state_id)
            tokens = torch.cat([tokens, state[:, None]], dim=1)
        return tokens

    def forward(self, observations: Tensor) -> Tensor:
        memory = self.observation_tokens(observations)
        queries = self.queries.expand(observations.shape[0], -1, -1)
        mask = causal_mask(self.chunk_size, observations.device)
        hidden = self.decoder(queries, memory, tgt_mask=mask, tgt_is_causal=True)
        return self.head(hidden)
