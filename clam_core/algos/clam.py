"""CLAM: continuous latent action model with a jointly trained action decoder (Liang, Czempin et al. 2025).

Stage 1: on an unlabelled batch every step, the IDM infers z from `o_{t-H..t+1}` and the FDM reconstructs
`o_{t+1}`; every `decoder_every` steps a labelled batch adds `beta * MSE(decoder(z_t), a_t)`, whose gradient
also reaches the IDM (joint training). With `beta = 0` the decoder is trained on detached latents instead:
the "no joint training" ablation.
Stage 2: the frozen IDM relabels observation-only expert data with latents; the latent policy is fit by MSE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import draccus
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.data.windows import (
    LabelledWindowSampler,
    ObservationWindowSampler,
    transition_windows,
    valid_timesteps,
)
from clam_core.keys import ACTION_KEY, STATE_KEY
from clam_core.metrics import mse, r2_score, r2_variance_weighted
from clam_core.models.decoders import ActionDecoder, DecoderConfig
from clam_core.models.image_policy import IDMFrameTokens
from clam_core.models.lam import LAMConfig, LatentActionModel, as_layout
from clam_core.models.policies import PolicyConfig, build_latent_policy
from clam_core.train.checkpoint import save_checkpoint
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.distributed import DistributedContext, device_for, init_distributed
from clam_core.train.loop import Trainer
from clam_core.train.runtime import resolve_device, seed_everything

OBS_KEY = STATE_KEY  # the normalisation key of the whole observation vector (state, and pixels if any)


@dataclass
class CLAMConfig:
    lam: LAMConfig = field(default_factory=LAMConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    # Action-decoder loss weight; 0 trains the decoder on detached latents (no joint training).
    beta: float = 1.0
    decoder_every: int = 2  # K: a labelled batch every K stage-1 steps
    batch_size: int = 128
    decoder_batch_size: int = 128
    policy_batch_size: int = 128
    stage1: OptimConfig = field(default_factory=lambda: OptimConfig(steps=20_000))
    stage2: OptimConfig = field(default_factory=lambda: OptimConfig(steps=10_000))


@dataclass
class CLAMData:
    """The three datasets of the paper's setting (normalised or raw; `train_clam` normalises)."""

    labelled: LabelledEpisodes  # small, any behaviour (random or play)
    unlabelled: ObservationEpisodes  # everything, without actions, for the LAM
    expert: ObservationEpisodes  # observation-only expert demos for the latent policy


class CLAMModel(nn.Module):
    def __init__(self, cfg: CLAMConfig, observations: ObservationLayout | int, action_dim: int) -> None:
        super().__init__()
        layout = as_layout(observations)
        self.lam = LatentActionModel(layout, cfg.lam)
        self.decoder = ActionDecoder(cfg.lam.latent_dim, action_dim, cfg.decoder)
        self.policy = build_latent_policy(layout, cfg.lam.latent_dim, cfg.policy, self.lam.idm)

    def start_policy_from_idm(self) -> None:
        """With the `idm` image backbone: copy the trained IDM's weights into the policy's encoder."""
        backbone = getattr(self.policy, "backbone", None)
        if isinstance(backbone, IDMFrameTokens):
            backbone.idm.load_state_dict(self.lam.idm.state_dict())


def stage1_losses(
    model: CLAMModel,
    cfg: CLAMConfig,
    unlabelled: ObservationWindowSampler,
    labelled: LabelledWindowSampler,
    step: int,
) -> dict[str, Tensor]:
    out = model.lam(unlabelled.sample(cfg.batch_size).observations)
    recon = F.mse_loss(out.predictions, out.targets)
    scalars = {
        "recon_loss": recon,
        "copy_last_loss": F.mse_loss(out.previous, out.targets).detach(),
    }
    loss = recon + out.aux_loss
    if step % cfg.decoder_every == 0:
        batch = labelled.sample(cfg.decoder_batch_size)
        latent = model.lam.current_latent(batch.observations)
        joint = cfg.beta > 0
        decoder_loss = F.mse_loss(model.decoder(latent if joint else latent.detach()), batch.actions)
        loss = loss + (cfg.beta if joint else 1.0) * decoder_loss
        scalars["decoder_loss"] = decoder_loss
    scalars["loss"] = loss
    return scalars


@torch.no_grad()
def relabel(
    lam: LatentActionModel, episodes: ObservationEpisodes, chunk_size: int, batch_size: int = 4096
) -> tuple[Tensor, Tensor]:
    """Annotate observation-only episodes with the frozen IDM.

    Returns policy inputs `o_t` [N, D] and latent targets `z_t .. z_{t+k-1}` [N, k, Z] for every t whose
    whole chunk of transitions lies inside its episode.
    """
    lam.eval()
    context = lam.cfg.context
    observations = episodes.observations
    per_step = torch.full(
        (observations.shape[0], lam.cfg.latent_dim), float("nan"), device=observations.device
    )
    for t in valid_timesteps(episodes.episode_ends, context).to(observations.device).split(batch_size):
        windows, _ = transition_windows(observations, t, context)
        per_step[t] = lam.current_latent(windows).float()
    starts = valid_timesteps(episodes.episode_ends, context, chunk=chunk_size).to(observations.device)
    targets = per_step[starts[:, None] + torch.arange(chunk_size, device=starts.device)]
    return observations[starts], targets


@dataclass
class LAMPredictions:
    """What the LAM makes of labelled windows: decoded and true actions [N, A], and per window the
    FDM's reconstruction error and copy-last's [N] (all in normalised units)."""

    decoded: Tensor
    actions: Tensor
    recon_error: Tensor
    copy_last_error: Tensor


@torch.no_grad()
def lam_predictions(model: CLAMModel, labelled: LabelledEpisodes, stats: NormStats) -> LAMPredictions:
    """Run the LAM and decoder over raw labelled data (normalised here with `stats`, batch by batch, on the
    data's device)."""
    model.eval()
    device = labelled.observations.device
    sampler = LabelledWindowSampler(labelled, model.lam.cfg.context, device, stats=stats)
    decoded, actions, recon, copy = [], [], [], []
    for batch in sampler.iterate(4096):
        out = model.lam(batch.observations)
        decoded.append(model.decoder(out.latents[:, -1]))
        actions.append(batch.actions)
        recon.append(((out.predictions - out.targets) ** 2).mean((1, 2)))
        copy.append(((out.previous - out.targets) ** 2).mean((1, 2)))
    return LAMPredictions(torch.cat(decoded), torch.cat(actions), torch.cat(recon), torch.cat(copy))


def evaluate_lam(model: CLAMModel, labelled: LabelledEpisodes, stats: NormStats) -> dict[str, float]:
    """On held-out raw labelled data: action-decoder R² and MSE, FDM vs copy-last reconstruction, all in
    normalised units."""
    out = lam_predictions(model, labelled, stats)
    return {
        "decoder_r2": r2_score(out.decoded, out.actions),
        "decoder_r2_weighted": r2_variance_weighted(out.decoded, out.actions),
        "decoder_mse": mse(out.decoded, out.actions),
        "recon_loss": float(out.recon_error.mean()),
        "copy_last_loss": float(out.copy_last_error.mean()),
    }


def fit_stats(data: CLAMData, layout: ObservationLayout | None = None) -> NormStats:
    """Mean/std of the state and the actions; pixels get fixed statistics (see observation_layout)."""
    layout = layout or ObservationLayout(data.labelled.obs_dim)
    size = layout.state_dim
    states = torch.cat([data.unlabelled.observations[:, :size], data.labelled.observations[:, :size]])
    stats = NormStats.fit({OBS_KEY: states, ACTION_KEY: data.labelled.actions})
    stats.mean[OBS_KEY], stats.std[OBS_KEY] = layout.full_stats(stats.mean[OBS_KEY], stats.std[OBS_KEY])
    return stats


def normalize_observations(
    episodes: ObservationEpisodes, stats: NormStats, device: torch.device
) -> ObservationEpisodes:
    observations = stats.normalize(OBS_KEY, episodes.observations.to(device))
    return ObservationEpisodes(observations, episodes.episode_ends)


def agent_checkpoint_config(algo: str, configs: dict, layout: ObservationLayout, action_dim: int) -> dict:
    """What `LatentActionAgent` reads from any checkpoint it runs: the algorithm and its encoded configs, the
    observation layout, the action size and the normalisation keys."""
    return {
        "algo": algo,
        **configs,
        "obs_dim": layout.dim,
        "layout": layout.to_dict(),
        "action_dim": action_dim,
        "obs_key": OBS_KEY,
        "action_key": ACTION_KEY,
    }


def checkpoint_config(cfg: CLAMConfig, layout: ObservationLayout, action_dim: int) -> dict:
    return agent_checkpoint_config("clam", {"clam": draccus.encode(cfg)}, layout, action_dim)


@dataclass
class Stage1Result:
    """The model after stage 1 (the policy still untrained) and what stage 2 needs to go on."""

    model: CLAMModel
    stats: NormStats
    config: dict  # the checkpoint configuration (`checkpoint_config`)
    device: torch.device
    distributed: DistributedContext


def train_stage1(
    cfg: CLAMConfig,
    data: CLAMData,
    run: RunConfig,
    layout: ObservationLayout | None = None,
    on_step: Callable[[int, CLAMModel, NormStats], None] | None = None,
) -> Stage1Result:
    """Stage 1: the LAM and the jointly trained decoder. `on_step(step, model, stats)` runs after every update
    (the modules are back in training mode after it), e.g. to measure the decoder while it trains."""
    seed_everything(run.seed)
    device = resolve_device(run.device)
    distributed = init_distributed(device)
    device = device_for(str(device), distributed)
    layout = layout or ObservationLayout(data.labelled.obs_dim)
    if layout.dim != data.labelled.obs_dim:
        raise ValueError(f"observations have {data.labelled.obs_dim} features, the layout {layout.dim}")
    stats = fit_stats(data, layout)
    action_dim = data.labelled.action_dim
    model = CLAMModel(cfg, layout, action_dim).to(device)
    model.lam.fit_idm_inputs(data.unlabelled, stats)
    config = checkpoint_config(cfg, layout, action_dim)
    context = cfg.lam.context

    # The samplers normalise per batch: the (large, image) play data is never copied whole.
    unlabelled = ObservationWindowSampler(data.unlabelled, context, device, run.seed, distributed, stats)
    labelled = LabelledWindowSampler(data.labelled, context, device, run.seed + 1, distributed, stats)
    stage1 = Trainer(
        "stage1",
        {"lam": model.lam, "decoder": model.decoder},
        cfg.stage1,
        run,
        device,
        config,
        stats,
        generators={"unlabelled": unlabelled.generator, "labelled": labelled.generator},
        distributed=distributed,
    )
    hook = None if on_step is None else lambda step: on_step(step, model, stats)
    stage1.fit(lambda step: stage1_losses(model, cfg, unlabelled, labelled, step), hook)
    return Stage1Result(model, stats, config, device, distributed)


def train_clam(
    cfg: CLAMConfig, data: CLAMData, run: RunConfig, layout: ObservationLayout | None = None
) -> tuple[Path, CLAMModel, NormStats]:
    """Both stages; writes `<out_dir>/checkpoint` (what `LatentActionAgent.load` reads) and returns it with
    the trained model (in eval mode) and the normalisation stats. `layout` describes image observations
    (flattened as in `ObservationLayout`); without it the observations are state vectors."""
    first = train_stage1(cfg, data, run, layout)
    model, stats, config = first.model, first.stats, first.config
    device, distributed = first.device, first.distributed
    inputs, targets = relabel(
        model.lam, normalize_observations(data.expert, stats, device), cfg.policy.chunk_size
    )
    if inputs.shape[0] == 0:
        raise ValueError("no expert episode is long enough to relabel; check the context and chunk size")
    model.start_policy_from_idm()
    generator = torch.Generator(device=device).manual_seed(run.seed + 2)

    def stage2_losses(step: int) -> dict[str, Tensor]:
        picks = torch.randint(inputs.shape[0], (cfg.policy_batch_size,), device=device, generator=generator)
        picks = picks[distributed.shard(cfg.policy_batch_size)]
        loss = F.mse_loss(model.policy(inputs[picks]), targets[picks])
        return {"loss": loss, "policy_loss": loss}

    stage2 = Trainer(
        "stage2",
        {"policy": model.policy},
        cfg.stage2,
        run,
        device,
        config,
        stats,
        generators={"policy": generator},
        distributed=distributed,
    )
    stage2.fit(stage2_losses)
    model.eval()
    out = Path(run.out_dir) / "checkpoint"
    if distributed.is_main:  # the other ranks hold identical weights
        save_checkpoint(
            out, {"lam": model.lam, "decoder": model.decoder, "policy": model.policy}, config, stats
        )
    distributed.barrier()
    return out, model, stats
