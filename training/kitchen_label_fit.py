"""How closely does each kitchen method's trained policy reproduce the expert's own actions on the
demonstrations it imitated?

A closed-loop success rate mixes two errors: the labels a method imitates (ST-CLAM decodes its LAM's latents,
VPT its IDM's predictions, BC-Expert has the expert's own actions, BC-AL imitates play) and how well its
policy fits them. This diagnostic reads the kitchen benchmark's checkpoints and scores, per method and task,
the policy's first predicted action on every demonstration frame against the action the expert took there
(privileged labels, used for this measurement only): the variance-weighted R² (`clam_core.metrics`), which a
joint the expert never moves cannot swamp, and the mean squared error.

    python training/kitchen_label_fit.py --profile cpu [--tasks '[microwave]'] [--seeds 1]

Each fit is kept as a cell (`training/results/kitchen_<profile>_cells/label_fit/...`, under the benchmark's
configuration key), so the table outlives the checkpoints it was measured on: a later run on another machine
scores only the policies it has checkpoints for and not yet a fit. Writes
training/results/kitchen_<profile>_label_fit.{json,md}.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch

from clam_core.data.episodes import LabelledEpisodes
from clam_core.inference.agent import LatentActionAgent
from clam_core.metrics import mse, r2_variance_weighted
from training.benchmark_cells import Cell, CellStore, config_key, runs_folder
from training.cli import parse_config
from training.kitchen_cells import KitchenTasks
from training.kitchen_methods import METHODS
from training.kitchen_profiles import PROFILES, profile
from training.results_io import RESULTS_DIR, command_line, write_results

BATCH = 256  # demonstration frames per forward pass
FIT_TABLE = "label_fit"  # the cells' table name in the benchmark's cell store


@dataclass
class LabelFitConfig:
    profile: str = "cpu"
    tasks: tuple[str, ...] = ()  # () = the profile's tasks
    seeds: int = 1
    work_dir: str | None = None  # the benchmark's --work-dir (default outputs/benchmark/kitchen_<profile>)
    cache_dir: str | None = None  # the benchmark's --cache-dir
    results_dir: str = str(RESULTS_DIR)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; choose one of {PROFILES}")
        if self.seeds < 1:
            raise ValueError("seeds must be positive")


def first_action_fit(agent: LatentActionAgent, episodes: LabelledEpisodes) -> dict[str, float]:
    """R² (variance-weighted) and MSE of the first action of each predicted chunk against `episodes`'
    actions, in the actions' own units."""
    first = [agent.predict_chunks(batch)[:, 0] for batch in episodes.observations.split(BATCH)]
    predicted = torch.cat(first)
    return {
        "r2": round(r2_variance_weighted(predicted, episodes.actions), 4),
        "mse": round(mse(predicted, episodes.actions), 6),
    }


def stored_or_measured_fit(
    store: CellStore, cell: Cell, runs: Path, data: KitchenTasks
) -> dict[str, float] | None:
    """The cell's stored fit; else the fit of the benchmark's checkpoint for it, stored; None if neither."""
    stored = store.result(cell)
    if stored is not None:
        return {metric: stored[metric] for metric in ("r2", "mse")}
    checkpoint = Cell("main", cell.method, cell.task, cell.seed).folder(runs) / "checkpoint"
    if not checkpoint.is_dir():
        return None
    fit = first_action_fit(LatentActionAgent.load(checkpoint), data.get(cell.task).expert)
    store.save(cell, fit)
    return fit


def main(cfg: LabelFitConfig) -> dict:
    prof = profile(cfg.profile)
    if cfg.tasks:
        prof = replace(prof, tasks=tuple(cfg.tasks))
    name = f"kitchen_{prof.name}"
    runs = runs_folder(name, prof, Path(cfg.work_dir) if cfg.work_dir else None)
    store = CellStore(Path(cfg.results_dir) / f"{name}_cells", config_key(prof))
    data = KitchenTasks(prof, Path(cfg.cache_dir) if cfg.cache_dir else None, workers=1, progress=False)
    fits: dict[str, dict[str, dict[str, float]]] = {}
    missing = []
    for task in prof.tasks:
        for method in METHODS:
            for seed in range(cfg.seeds):
                fit = stored_or_measured_fit(store, Cell(FIT_TABLE, method, task, seed), runs, data)
                if fit is None:
                    missing.append(f"{method}/{task}/seed{seed}")
                    continue
                fits.setdefault(method, {})[f"{task}/seed{seed}"] = fit
                print(f"{method} {task} seed {seed}: R² {fit['r2']:.3f}, MSE {fit['mse']:.5f}", flush=True)
    columns = list(dict.fromkeys(cell for method in fits for cell in fits[method]))
    rows = [
        [method, *(f"{fits[method][c]['r2']:.3f}" if c in fits[method] else "—" for c in columns)]
        for method in fits
    ]
    notes = [
        "R² (variance-weighted) of each trained policy's first predicted action against the expert's own "
        "action on every demonstration frame (the frames every method imitated; privileged labels).",
        "BC-Expert fits the true labels; ST-CLAM and VPT fit labels their LAM / IDM inferred from play; "
        "BC-AL imitates play, not the expert.",
    ]
    if missing:
        notes.append(
            "No fit and no checkpoint (cell not trained under this profile): " + ", ".join(missing) + "."
        )
    payload = {
        "command": command_line("training/kitchen_label_fit.py"),
        "config": {"profile": prof.name, "tasks": list(prof.tasks), "seeds": cfg.seeds, "runs": str(runs)},
        "fits": fits,
        "missing": missing,
    }
    title = f"Kitchen ({prof.name}): how well each policy reproduces the expert's actions on the demos"
    _, md_path = write_results(
        f"{name}_label_fit", title, payload, ["method", *columns], rows, Path(cfg.results_dir), notes
    )
    print(f"label fit: {md_path}", flush=True)
    return payload


if __name__ == "__main__":
    main(parse_config(LabelFitConfig))
