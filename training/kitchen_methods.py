"""The methods of the image-based kitchen benchmark (paper Table 3), built from one profile so they share
architectures, and the target they are measured against.

Data of a task's cells: the play data with its actions is the labelled set; the LAM sees play + the task's
expert observations; the expert demonstrations reach every method without their actions, except the
privileged BC-Expert, which is trained on them with their actions (an upper reference).

- `st_clam`: Space-Time CLAM (LAM + jointly trained action decoder, then a latent policy on the experts).
- `vpt`: an IDM of the LAM's architecture trained on play labels the experts; BC on those labels.
- `lapa`: the LAM with VQ latents and a latent policy (LAPO), whose output layer then becomes an action head
  fine-tuned on the play data's action chunks.
- `bc_al`: BC on the play data.
- `bc_expert`: BC on the expert demonstrations with their actions (privileged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clam_core.algos.chunked_bc import (
    ChunkedBCConfig,
    ChunkedVPTConfig,
    train_chunked_bc,
    train_chunked_lapa,
    train_chunked_vpt,
)
from clam_core.algos.clam import CLAMConfig, CLAMData, fit_stats, train_clam
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.observation_layout import ObservationLayout
from clam_core.train.config import OptimConfig, RunConfig
from training.kitchen_profiles import KitchenProfile
from training.lam_diagnostics import lam_diagnostics

METHODS = ("st_clam", "vpt", "lapa", "bc_al", "bc_expert")
RIVALS = ("vpt", "bc_al")  # the methods ST-CLAM has to beat on every task
TARGET_TASK, TARGET_SUCCESS = "microwave", 0.8
TARGET = (
    f"ST-CLAM beats {' and '.join(RIVALS)} on every task; {TARGET_TASK} success >= {TARGET_SUCCESS} "
    "with the paper profile"
)
Trained = tuple[Path, dict[str, float]]  # the checkpoint (LatentActionAgent reads it) and diagnostics


@dataclass(frozen=True)
class KitchenTaskData:
    clam: CLAMData  # labelled play, play + expert observations, expert observations
    expert: LabelledEpisodes  # the demonstrations with their actions: BC-Expert and the decoder's R² only
    layout: ObservationLayout


def task_data(episodes: LabelledEpisodes, play_episodes: int, layout: ObservationLayout) -> KitchenTaskData:
    """One task's datasets from its raw episodes: the play data's first `play_episodes`, then the task's
    demonstrations. Every set is a view of `episodes`, so the images are held once whatever the play size."""
    play, expert = episodes.split(play_episodes)
    demonstrations = expert.observations_only()  # actions removed
    return KitchenTaskData(CLAMData(play, episodes.observations_only(), demonstrations), expert, layout)


def _optim(prof: KitchenProfile, steps: int) -> OptimConfig:
    return OptimConfig(steps=steps, warmup_steps=min(prof.warmup_steps, steps // 2))


def clam_config(prof: KitchenProfile) -> CLAMConfig:
    return CLAMConfig(
        lam=prof.lam,
        decoder=prof.decoder,
        policy=prof.policy,
        batch_size=prof.batch_size,
        decoder_batch_size=prof.batch_size,
        policy_batch_size=prof.batch_size,
        stage1=_optim(prof, prof.lam_steps),
        stage2=_optim(prof, prof.policy_steps),
    )


def bc_config(prof: KitchenProfile) -> ChunkedBCConfig:
    return ChunkedBCConfig(prof.policy, prof.batch_size, _optim(prof, prof.policy_steps))


def vpt_config(prof: KitchenProfile) -> ChunkedVPTConfig:
    return ChunkedVPTConfig(prof.lam, prof.batch_size, _optim(prof, prof.lam_steps), bc_config(prof))


def _st_clam(prof: KitchenProfile, data: KitchenTaskData, run: RunConfig) -> Trained:
    checkpoint, model, stats = train_clam(clam_config(prof), data.clam, run, data.layout)
    return checkpoint, lam_diagnostics(model, stats, data.clam.labelled, data.expert, run.device)


def _bc(prof: KitchenProfile, data: KitchenTaskData, run: RunConfig, episodes: LabelledEpisodes) -> Trained:
    # Normalised like the other methods: play and expert observations, play actions.
    stats = fit_stats(data.clam, data.layout)
    return train_chunked_bc(episodes, stats, data.layout, bc_config(prof), run), {}


def train_method(method: str, prof: KitchenProfile, data: KitchenTaskData, run: RunConfig) -> Trained:
    builders: dict[str, Callable[[], Trained]] = {
        "st_clam": lambda: _st_clam(prof, data, run),
        "vpt": lambda: (train_chunked_vpt(data.clam, data.layout, vpt_config(prof), run), {}),
        "lapa": lambda: (
            train_chunked_lapa(
                data.clam,
                data.layout,
                clam_config(prof),
                _optim(prof, prof.policy_steps),
                prof.batch_size,
                run,
            ),
            {},
        ),
        "bc_al": lambda: _bc(prof, data, run, data.clam.labelled),
        "bc_expert": lambda: _bc(prof, data, run, data.expert),
    }
    if method not in builders:
        raise ValueError(f"unknown kitchen method {method!r}; choose from {METHODS}")
    return builders[method]()


def target_check(table: dict[str, dict[str, Any]], tasks: list[str], profile_name: str) -> dict[str, Any]:
    """The target measured on a summary table (benchmark_report.summarise): per task, whether ST-CLAM's mean
    success is above every rival's (None where a method has no result yet), and the microwave threshold,
    which binds the paper profile only."""

    def mean(method: str, task: str) -> float | None:
        return table.get(method, {}).get(task, {}).get("mean")

    beats: dict[str, bool | None] = {}
    for task in tasks:
        ours, rivals = mean("st_clam", task), [mean(rival, task) for rival in RIVALS]
        beats[task] = None if ours is None or None in rivals else all(ours > r for r in rivals)
    success = mean("st_clam", TARGET_TASK)
    threshold = None if success is None else success >= TARGET_SUCCESS
    binding = profile_name == "paper"
    met = all(b is True for b in beats.values()) and (threshold is True or not binding)
    return {
        "st_clam_beats_rivals": beats,
        f"st_clam_{TARGET_TASK}_success": success,
        f"{TARGET_TASK}_threshold_met": threshold,
        "threshold_binding": binding,
        "met": met,
    }


def target_notes(check: dict[str, Any]) -> list[str]:
    """The target and how the cells measure up to it (from `target_check`), as lines for the report."""
    beats = check["st_clam_beats_rivals"]
    behind = [task for task, ahead in beats.items() if ahead is False]
    pending = [task for task, ahead in beats.items() if ahead is None]
    success = check[f"st_clam_{TARGET_TASK}_success"]
    binding = "" if check["threshold_binding"] else " (the threshold binds the paper profile only)"
    found = [
        f"ST-CLAM ahead of {' and '.join(RIVALS)} on {sum(a is True for a in beats.values())} of "
        f"{len(beats)} tasks",
        *([f"not ahead on {', '.join(behind)}"] if behind else []),
        *([f"no results yet on {', '.join(pending)}"] if pending else []),
        f"ST-CLAM {TARGET_TASK} success {'—' if success is None else f'{success:.2f}'}{binding}",
    ]
    return [
        f"Target: {TARGET}.",
        f"Target check on these cells: {'met' if check['met'] else 'not met'} ({'; '.join(found)}).",
    ]
