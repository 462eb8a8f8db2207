"""LAPO: a latent action model with vector-quantised (discrete) latents, the action decoder trained on the
frozen latents only (no gradient into the LAM, i.e. no joint training), then the latent policy. This is the
paper's "discrete, no joint training" cell, run through the same two stages as CLAM."""

from __future__ import annotations

from dataclasses import replace

from clam_core.algos.clam import CLAMConfig, CLAMData, train_clam
from clam_core.algos.supervised import BatchActor, latent_actor
from clam_core.train.config import RunConfig
from clam_core.train.runtime import resolve_device


def lapo_config(cfg: CLAMConfig) -> CLAMConfig:
    """The same architecture with a VQ bottleneck and beta = 0 (decoder on detached latents)."""
    return replace(cfg, lam=replace(cfg.lam, vq=replace(cfg.lam.vq, enabled=True)), beta=0.0)


def train_lapo(cfg: CLAMConfig, data: CLAMData, run: RunConfig) -> BatchActor:
    _, model, stats = train_clam(lapo_config(cfg), data, run)
    return latent_actor(model, stats, resolve_device(run.device))
