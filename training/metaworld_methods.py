"""Every method and variant of the MetaWorld tables, built from one profile so they share architectures
(the paper insists on it): the same MLP widths for every policy, IDM and decoder, the same LAM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from clam_core.algos.bc import train_bc
from clam_core.algos.clam import CLAMConfig, CLAMData, fit_stats, train_clam
from clam_core.algos.dynamo import DynaMoConfig, train_dynamo
from clam_core.algos.lapa import LAPAConfig, train_lapa
from clam_core.algos.lapo import lapo_config
from clam_core.algos.supervised import BatchActor, BCConfig, latent_actor
from clam_core.algos.vpt import VPTConfig, train_vpt
from clam_core.data.episodes import LabelledEpisodes
from clam_core.models.decoders import DecoderConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.policies import PolicyConfig
from clam_core.models.quantizer import VQConfig
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.runtime import resolve_device
from training.lam_diagnostics import lam_diagnostics
from training.metaworld_profiles import Profile

TABLES = ("main", "ablation", "beta", "latent_dim")  # in the order they are filled
MAIN_METHODS = ("bc_al", "vpt", "lapo", "lapa", "dynamo", "mlp_clam", "tf_clam", "bc_expert")
# Table 6: (discrete latents, joint decoder training) with the transformer LAM.
ABLATIONS = {
    "discrete_separate": (True, False),
    "discrete_joint": (True, True),
    "continuous_separate": (False, False),
    "continuous_joint": (False, True),
}
Trained = tuple[BatchActor, dict[str, Any]]


def _optim(profile: Profile, steps: int) -> OptimConfig:
    return OptimConfig(steps=steps, warmup_steps=min(profile.warmup_steps, steps // 2))


def _policy_optim(profile: Profile) -> OptimConfig:
    """Every policy stage: BC (also VPT's and DynaMo's), CLAM's stage 2 and LAPA's fine-tuning."""
    return replace(_optim(profile, profile.policy_steps), schedule=profile.policy_schedule)


def bc_config(profile: Profile) -> BCConfig:
    sizes = profile.sizes
    return BCConfig(sizes.embed_dim, sizes.hidden, profile.batch_size, _policy_optim(profile))


def clam_config(
    profile: Profile,
    kind: str = "mlp",
    discrete: bool = False,
    beta: float = 1.0,
    latent_dim: int | None = None,
) -> CLAMConfig:
    sizes = profile.sizes
    return CLAMConfig(
        lam=LAMConfig(
            kind=kind,
            latent_dim=latent_dim or sizes.latent_dim,
            context=sizes.context,
            mlp_hidden=sizes.hidden,
            transformer=sizes.transformer,
            vq=VQConfig(enabled=discrete),
            residual_fdm=sizes.residual_fdm,
            idm_frame_deltas=sizes.idm_frame_deltas,
        ),
        decoder=DecoderConfig(embed_dim=sizes.embed_dim, hidden=sizes.hidden),
        policy=PolicyConfig(embed_dim=sizes.embed_dim, hidden=sizes.hidden, chunk_size=1),
        beta=beta,
        batch_size=profile.batch_size,
        decoder_batch_size=profile.batch_size,
        policy_batch_size=profile.batch_size,
        stage1=_optim(profile, profile.lam_steps),
        stage2=_policy_optim(profile),
    )


def _clam(cfg: CLAMConfig, data: CLAMData, run: RunConfig, expert: LabelledEpisodes) -> Trained:
    """Both CLAM stages, plus the LAM's diagnostics (see lam_diagnostics)."""
    _, model, stats = train_clam(cfg, data, run)
    lam_metrics = lam_diagnostics(model, stats, data.labelled, expert, run.device)
    return latent_actor(model, stats, resolve_device(run.device)), lam_metrics


def _clam_cells(table: str, profile: Profile) -> dict[str, CLAMConfig]:
    """The cells of `table` that train plain CLAM (both stages), by method name, with their configurations."""
    if table == "main":
        transformer = clam_config(profile, "transformer")
        return {
            "lapo": lapo_config(transformer),
            "mlp_clam": clam_config(profile, "mlp"),
            "tf_clam": transformer,
        }
    if table == "ablation":
        return {
            name: clam_config(profile, "transformer", discrete, 1.0 if joint else 0.0)
            for name, (discrete, joint) in ABLATIONS.items()
        }
    if table == "beta":
        return {f"beta={b:g}": clam_config(profile, "transformer", beta=b) for b in profile.betas}
    if table == "latent_dim":
        return {
            f"latent_dim={z}": clam_config(profile, "transformer", latent_dim=z) for z in profile.latent_dims
        }
    raise ValueError(f"unknown table {table!r}")


def train_method(
    table: str, method: str, profile: Profile, data: CLAMData, expert: LabelledEpisodes, run: RunConfig
) -> Trained:
    """Train one cell's method; `expert` (with actions) is only ever used by the privileged BC-Expert."""
    builders: dict[str, Callable[[], Trained]] = {
        name: (lambda c=cfg: _clam(c, data, run, expert)) for name, cfg in _clam_cells(table, profile).items()
    }
    if table == "main":
        builders |= {
            "bc_al": lambda: (train_bc(data.labelled, fit_stats(data), bc_config(profile), run), {}),
            "bc_expert": lambda: (train_bc(expert, fit_stats(data), bc_config(profile), run), {}),
            "vpt": lambda: (train_vpt(data, vpt_config(profile), run), {}),
            "lapa": lambda: (train_lapa(lapa_config(profile), data, run), {}),
            "dynamo": lambda: (train_dynamo(dynamo_config(profile), data, run), {}),
        }
    if method not in builders:
        raise ValueError(f"unknown method {method!r} for table {table!r}; choose from {sorted(builders)}")
    return builders[method]()


def table_methods(table: str, profile: Profile) -> list[str]:
    return list(MAIN_METHODS) if table == "main" else list(_clam_cells(table, profile))


def earlier_twin(table: str, method: str, profile: Profile) -> tuple[str, str] | None:
    """The (table, method) of an earlier table whose training this cell repeats exactly (equal configuration;
    cells of one task and seed share training and evaluation seeds), e.g. beta=1 is the main tf_clam: the
    twin's result can be reused instead of training the same model twice."""
    config = _clam_cells(table, profile).get(method)
    for earlier in TABLES[: TABLES.index(table)]:
        for name, other in _clam_cells(earlier, profile).items():
            if other == config:
                return earlier, name
    return None


def vpt_config(profile: Profile) -> VPTConfig:
    return VPTConfig(
        context=profile.sizes.context,
        idm_hidden=profile.sizes.hidden,
        idm_frame_deltas=profile.sizes.idm_frame_deltas,
        idm_batch_size=profile.batch_size,
        idm_optim=_optim(profile, profile.lam_steps),
        bc=bc_config(profile),
    )


def lapa_config(profile: Profile) -> LAPAConfig:
    return LAPAConfig(
        clam=clam_config(profile, "transformer"),
        finetune=_policy_optim(profile),
        finetune_batch_size=profile.batch_size,
    )


def dynamo_config(profile: Profile) -> DynaMoConfig:
    return DynaMoConfig(
        embed_dim=profile.sizes.embed_dim,
        latent_dim=profile.sizes.latent_dim,
        hidden=profile.sizes.hidden,
        batch_size=profile.batch_size,
        pretrain=_optim(profile, profile.lam_steps),
        bc=bc_config(profile),
    )
