"""Action-space baselines on any observation layout (images + state, or states), with the latent policy's
architecture predicting chunks of actions instead of latents, as the paper's image baselines share it:

- BC (`train_chunked_bc`): BC-AL on the labelled play data, BC-Expert on the expert demos with their
  (privileged) actions.
- VPT (`train_chunked_vpt`): an IDM with the LAM's encoder architecture is trained on the labelled data to
  predict a_t from o_{t-H..t+1}, labels the expert observations, and BC learns from those labels.
- LAPA (`train_chunked_lapa`): LAPO pretraining (VQ latents, latent policy on the relabelled experts), then
  the policy's output layer becomes an action head and the whole policy is fine-tuned on labelled chunks.

All three write a checkpoint with `algo: bc` that `LatentActionAgent` runs (the decoder is the identity),
so the policy node can deploy a baseline exactly like CLAM.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import draccus
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from clam_core.algos.clam import (
    CLAMConfig,
    CLAMData,
    agent_checkpoint_config,
    fit_stats,
    normalize_observations,
    relabel,
    train_clam,
)
from clam_core.algos.lapo import lapo_config
from clam_core.algos.supervised import fit_regression
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.data.windows import LabelledWindowSampler, NormalizedRows, valid_timesteps
from clam_core.keys import ACTION_KEY
from clam_core.models.lam import LAMConfig, LatentActionModel
from clam_core.models.policies import PolicyConfig, build_latent_policy
from clam_core.train.checkpoint import save_checkpoint
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.loop import Trainer
from clam_core.train.runtime import resolve_device, seed_everything


@dataclass
class ChunkedBCConfig:
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    batch_size: int = 64
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))


@dataclass
class ChunkedVPTConfig:
    idm: LAMConfig = field(default_factory=LAMConfig)  # its IDM architecture; latent_dim is the action's
    idm_batch_size: int = 64
    idm_optim: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))
    bc: ChunkedBCConfig = field(default_factory=ChunkedBCConfig)


def bc_checkpoint_config(policy: PolicyConfig, layout: ObservationLayout, action_dim: int) -> dict:
    return agent_checkpoint_config("bc", {"policy": draccus.encode(policy)}, layout, action_dim)


def action_chunks(
    episodes: LabelledEpisodes, chunk_size: int, stats: NormStats
) -> tuple[NormalizedRows, Tensor]:
    """For every t whose chunk fits its episode, normalised inputs o_t (rows of the raw episodes, normalised
    when drawn) and targets a_t .. a_{t+k-1} [N, k, A], on the episodes' device."""
    starts = valid_timesteps(episodes.episode_ends, 0, chunk=chunk_size).to(episodes.observations.device)
    actions = stats.to(starts.device).normalize(ACTION_KEY, episodes.actions)
    targets = actions[starts[:, None] + torch.arange(chunk_size, device=starts.device)]
    return NormalizedRows(episodes.observations, starts, stats), targets


def _fit_chunk_policy(
    name: str,
    inputs: Tensor | NormalizedRows,
    targets: Tensor,
    layout: ObservationLayout,
    stats: NormStats,
    cfg: ChunkedBCConfig,
    run: RunConfig,
    policy: nn.Module | None = None,
) -> Path:
    """Regress normalised action chunks from normalised observations with `policy` (a fresh one of
    `cfg.policy` by default); save the `bc` checkpoint."""
    action_dim = targets.shape[-1]
    if policy is None:
        policy = build_latent_policy(layout, action_dim, cfg.policy).to(inputs.device)
    config = bc_checkpoint_config(cfg.policy, layout, action_dim)
    fit_regression(name, {"policy": policy}, policy, inputs, targets, cfg.optim, cfg.batch_size, run, config)
    policy.eval()
    out = Path(run.out_dir) / "checkpoint"
    save_checkpoint(out, {"policy": policy}, config, stats)
    return out


def train_chunked_bc(
    episodes: LabelledEpisodes,
    stats: NormStats,
    layout: ObservationLayout,
    cfg: ChunkedBCConfig,
    run: RunConfig,
) -> Path:
    """BC on raw labelled episodes (normalised here with `stats`); returns the checkpoint folder."""
    seed_everything(run.seed)
    device = resolve_device(run.device)
    inputs, targets = action_chunks(episodes.to(device), cfg.policy.chunk_size, stats)
    return _fit_chunk_policy("bc", inputs, targets, layout, stats, cfg, run)


def train_chunked_vpt(
    data: CLAMData, layout: ObservationLayout, cfg: ChunkedVPTConfig, run: RunConfig
) -> Path:
    """VPT on raw data: supervised IDM on `data.labelled`, pseudo-labels for `data.expert`, then BC."""
    seed_everything(run.seed)
    device = resolve_device(run.device)
    stats = fit_stats(data, layout)
    action_dim = data.labelled.action_dim
    # The LAM's IDM with latent_dim = the action size (its FDM is built but never trained or used).
    idm = LatentActionModel(layout, replace(cfg.idm, latent_dim=action_dim)).to(device)
    idm.fit_idm_inputs(data.unlabelled, stats)
    sampler = LabelledWindowSampler(data.labelled, cfg.idm.context, device, run.seed + 1, stats=stats)

    def idm_loss(_: int) -> dict[str, Tensor]:
        batch = sampler.sample(cfg.idm_batch_size)
        loss = F.mse_loss(idm.current_latent(batch.observations), batch.actions)
        return {"loss": loss, "idm_loss": loss}

    config = {"algo": "vpt_idm", "obs_dim": layout.dim, "action_dim": action_dim}
    Trainer(
        "vpt_idm", {"idm": idm.idm}, cfg.idm_optim, run, device, config, stats, {"batch": sampler.generator}
    ).fit(idm_loss)
    idm.eval()
    inputs, targets = relabel(
        idm, normalize_observations(data.expert, stats, device), cfg.bc.policy.chunk_size
    )
    if inputs.shape[0] == 0:
        raise ValueError("no expert episode is long enough to label; check the context and chunk size")
    return _fit_chunk_policy("vpt_bc", inputs, targets, layout, stats, cfg.bc, run)


def train_chunked_lapa(
    data: CLAMData,
    layout: ObservationLayout,
    clam: CLAMConfig,
    finetune: OptimConfig,
    finetune_batch_size: int,
    run: RunConfig,
) -> Path:
    """LAPA on raw data: `clam` trained as LAPO (its own checkpoint in `<out_dir>/lapo`), then its latent
    policy fine-tuned to predict the labelled data's action chunks through a fresh output layer."""
    if layout.has_images and clam.policy.image.backbone == "idm":
        raise ValueError(
            "LAPA saves a bc checkpoint, which cannot rebuild an IDM backbone; use resnet18 or convnet"
        )
    pretraining = replace(run, out_dir=str(Path(run.out_dir) / "lapo"))
    _, model, stats = train_clam(lapo_config(clam), data, pretraining, layout)
    device = resolve_device(run.device)
    inputs, targets = action_chunks(data.labelled.to(device), clam.policy.chunk_size, stats)
    policy = model.policy.train()
    policy.replace_output_head(data.labelled.action_dim)
    cfg = ChunkedBCConfig(clam.policy, finetune_batch_size, finetune)
    return _fit_chunk_policy("lapa_finetune", inputs, targets, layout, stats, cfg, run, policy)
