"""Latent action model = IDM + FDM (+ optional VQ bottleneck), built from one typed config."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor, nn

from clam_core.data.episodes import ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.frame_deltas import optional_frame_deltas
from clam_core.models.lam_mlp import MLPFDM, MLPIDM
from clam_core.models.lam_spacetime import SpaceTimeFDM, SpaceTimeIDM, SpaceTimeSize
from clam_core.models.lam_transformer import TransformerFDM, TransformerIDM, TransformerSize
from clam_core.models.quantizer import VQConfig

LAM_KINDS = ("mlp", "transformer", "spacetime")


@dataclass
class LAMConfig:
    kind: str = "mlp"  # one of LAM_KINDS
    latent_dim: int = 16
    context: int = 1  # H: frames of history before o_t
    mlp_hidden: tuple[int, ...] = (1024, 1024)  # kind "mlp": 3 linear layers (paper Appendix G.3)
    transformer: TransformerSize = field(default_factory=TransformerSize)  # kind "transformer"
    spacetime: SpaceTimeSize = field(default_factory=SpaceTimeSize)  # kind "spacetime" (images)
    vq: VQConfig = field(default_factory=VQConfig)
    # The FDM predicts o_{t+1} - o_t and adds it to o_t. Where consecutive frames barely differ (state
    # vectors at 5-10 Hz), that leaves the latent to explain the change rather than the whole frame.
    residual_fdm: bool = False
    # State kinds: the IDM also sees each frame's change since the previous one (see models/frame_deltas.py).
    idm_frame_deltas: bool = False

    def __post_init__(self) -> None:
        if self.kind not in LAM_KINDS:
            raise ValueError(f"unknown LAM kind {self.kind!r}; choose one of {LAM_KINDS}")
        if self.idm_frame_deltas and self.kind == "spacetime":
            raise ValueError("idm_frame_deltas is for state vectors; the spacetime LAM reads images")

    @property
    def window(self) -> int:
        """Frames per window: o_{t-H} .. o_{t+1}."""
        return self.context + 2


@dataclass
class LAMOutput:
    latents: Tensor  # [B, L, Z], the last one is z_t
    predictions: Tensor  # [B, L, D], predicted next observations
    targets: Tensor  # [B, L, D], the observations they predict
    previous: Tensor  # [B, L, D], the observation before each target (the copy-last baseline)
    aux_loss: Tensor  # VQ commitment loss (zero when continuous)


def as_layout(observations: ObservationLayout | int) -> ObservationLayout:
    """A layout, or a plain state dimension for state-only models."""
    return observations if isinstance(observations, ObservationLayout) else ObservationLayout(observations)


class LatentActionModel(nn.Module):
    def __init__(self, observations: ObservationLayout | int, cfg: LAMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layout = as_layout(observations)
        obs_dim = layout.dim
        self.frame_deltas, idm_features = optional_frame_deltas(obs_dim, cfg.idm_frame_deltas)
        if cfg.kind == "spacetime":
            self.idm = SpaceTimeIDM(layout, cfg.latent_dim, cfg.window, cfg.spacetime)
            self.fdm = SpaceTimeFDM(layout, cfg.latent_dim, cfg.window, cfg.spacetime)
        elif cfg.kind == "mlp":
            self.idm = MLPIDM(idm_features, cfg.latent_dim, cfg.window, cfg.mlp_hidden)
            self.fdm = MLPFDM(obs_dim, cfg.latent_dim, cfg.window, cfg.mlp_hidden)
        else:
            self.idm = TransformerIDM(idm_features, cfg.latent_dim, cfg.window, cfg.transformer)
            self.fdm = TransformerFDM(obs_dim, cfg.latent_dim, cfg.window, cfg.transformer)
        self.quantizer = None
        if cfg.vq.enabled:
            from clam_core.models.quantizer import LatentQuantizer  # slow import, only for VQ ablations

            self.quantizer = LatentQuantizer(cfg.latent_dim, cfg.vq)

    def fit_idm_inputs(self, episodes: ObservationEpisodes, stats: NormStats | None = None) -> None:
        """Fit what the IDM's input scaling learns from the training episodes (normalised with `stats`, or
        already normalised without), if anything."""
        if self.frame_deltas is not None:
            self.frame_deltas.fit(episodes, stats)

    def encode(self, windows: Tensor) -> tuple[Tensor, Tensor]:
        """Latent actions of the window's transitions [B, L, Z] (quantised if VQ is on) and the VQ loss."""
        latents = self.idm(windows if self.frame_deltas is None else self.frame_deltas(windows))
        if self.quantizer is None:
            return latents, latents.new_zeros(())
        return self.quantizer(latents)

    def current_latent(self, windows: Tensor) -> Tensor:
        """z_t for windows o_{t-H..t+1}: [B, Z]."""
        return self.encode(windows)[0][:, -1]

    def forward(self, windows: Tensor) -> LAMOutput:
        latents, aux_loss = self.encode(windows)
        count = latents.shape[1]
        previous = windows[:, -count - 1 : -1]
        predictions = self.fdm(windows[:, :-1], latents)
        if self.cfg.residual_fdm:
            predictions = previous + predictions
        return LAMOutput(
            latents=latents,
            predictions=predictions,
            targets=windows[:, -count:],
            previous=previous,
            aux_loss=aux_loss,
        )


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
