"""Sizes of the MetaWorld benchmark. `smoke` checks the pipeline in CI (minutes, numbers meaningless);
`cpu` is sized for the main table on 2 CPU cores; `long` is `cpu` with 3x its update counts and nothing else
changed, to see what more training alone buys (a GPU machine, or a long cpu run); `cpu_context2` is `cpu` with
two steps of context for every IDM and FDM (the paper's Table 11 value; `cpu` uses the one step its MLP-CLAM
text states) and nothing else changed; `cpu_cosine` is `cpu` with every policy stage's learning rate decayed
to zero on a cosine after warm-up (the paper keeps it constant), so that a policy is not evaluated at
whichever noisy iterate a constant rate leaves it, and nothing else changed; `cpu_long_policy` is `cpu` with
3x the updates of every policy stage (stage 2, BC, fine-tuning) and nothing else changed, the half of `long`
that does not touch pretraining, to tell the two apart; `paper` uses the paper's
data sizes, update counts (Tables 10-11: 500k LAM updates, 150k policy updates) and 3 seeds x 50 rollouts,
for a GPU machine."""

from __future__ import annotations

from dataclasses import dataclass, replace

from clam_core.data.metaworld_data import MetaWorldDataConfig
from clam_core.envs.metaworld_tasks import PAPER_TASKS
from clam_core.models.lam_transformer import TransformerSize

PROFILES = ("smoke", "cpu", "long", "cpu_context2", "cpu_cosine", "cpu_long_policy", "paper")
LONG_STEP_FACTOR = 3


@dataclass
class ModelSizes:
    hidden: tuple[int, ...]  # every MLP: LAM, decoder, policies, IDMs
    embed_dim: int
    transformer: TransformerSize
    latent_dim: int = 16
    context: int = 1
    residual_fdm: bool = False  # LAMConfig.residual_fdm; on assembly (cpu sizes) it did not raise success
    idm_frame_deltas: bool = True  # every IDM (LAMs and VPT's) also sees each frame's change


@dataclass
class Profile:
    name: str
    data: MetaWorldDataConfig
    sizes: ModelSizes
    lam_steps: int  # stage 1 (and every other pretraining)
    policy_steps: int  # stage 2, BC, fine-tuning
    batch_size: int
    warmup_steps: int
    eval_episodes: int
    seeds: int
    tasks: tuple[str, ...] = PAPER_TASKS
    beta_task: str = "assembly-v3"  # the paper's Table 7 sweeps beta on Assembly only
    betas: tuple[float, ...] = (0.0, 0.001, 0.01, 1.0, 5.0)
    latent_dims: tuple[int, ...] = (2, 4, 8, 16)
    tables: tuple[str, ...] = ("main", "ablation", "beta", "latent_dim")
    eval_workers: int | None = None  # None: --workers; 1 for a few episodes (no worker start-up cost)
    # Learning-rate schedule of every policy stage after warm-up (paper Table 10: constant).
    policy_schedule: str = "constant"


def profile(name: str) -> Profile:
    if name == "smoke":
        return Profile(
            name="smoke",
            data=MetaWorldDataConfig(
                unlabelled_episodes=10, labelled_episodes=6, expert_episodes=4, expert_successful_only=False
            ),
            sizes=ModelSizes(
                hidden=(64, 64),
                embed_dim=32,
                transformer=TransformerSize(d_model=32, n_heads=4, n_layers=1, ff_dim=64),
            ),
            lam_steps=30,
            policy_steps=30,
            batch_size=32,
            warmup_steps=5,
            eval_episodes=4,
            eval_workers=1,
            seeds=1,
            tasks=("assembly-v3",),
            betas=(0.0, 1.0),
            latent_dims=(2, 16),
        )
    if name == "cpu":
        return Profile(
            name="cpu",
            data=MetaWorldDataConfig(),
            sizes=ModelSizes(
                hidden=(512, 512),
                embed_dim=128,
                transformer=TransformerSize(d_model=64, n_heads=4, n_layers=2, ff_dim=256),
            ),
            lam_steps=6000,
            policy_steps=4000,
            batch_size=128,
            warmup_steps=500,
            eval_episodes=50,
            seeds=1,
        )
    if name == "long":
        cpu = profile("cpu")
        return replace(
            cpu,
            name="long",
            lam_steps=LONG_STEP_FACTOR * cpu.lam_steps,
            policy_steps=LONG_STEP_FACTOR * cpu.policy_steps,
        )
    if name == "cpu_context2":
        cpu = profile("cpu")
        return replace(cpu, name="cpu_context2", sizes=replace(cpu.sizes, context=2))
    if name == "cpu_cosine":
        return replace(profile("cpu"), name="cpu_cosine", policy_schedule="cosine")
    if name == "cpu_long_policy":
        cpu = profile("cpu")
        return replace(cpu, name="cpu_long_policy", policy_steps=LONG_STEP_FACTOR * cpu.policy_steps)
    if name == "paper":
        return Profile(
            name="paper",
            data=MetaWorldDataConfig(),
            sizes=ModelSizes(hidden=(1024, 1024), embed_dim=512, transformer=TransformerSize()),
            lam_steps=500_000,
            policy_steps=150_000,
            batch_size=128,
            warmup_steps=25_000,
            eval_episodes=50,
            seeds=3,
        )
    raise ValueError(f"unknown profile {name!r}; choose one of {PROFILES}")
