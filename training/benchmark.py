"""Simulation benchmarks, one command each.

    python training/benchmark.py metaworld --profile {smoke,cpu,paper} [--tasks ...] [--methods ...]
        [--tables main ablation beta latent_dim] [--seeds N] [--device cpu|cuda] [--workers 2]

Every (table, method, task, seed) cell trains one method on generated, cached data and evaluates it over
`eval_episodes` rollouts. Finished cells are kept (resume by rerunning the command; run the same command
in several terminals to share the grid between processes), and the tables are rewritten at the end:
training/results/metaworld_<profile>.{json,md,png} (the main table, laid out like the paper's Table 5) and
metaworld_<profile>_{ablation,beta,latent_dim}.* for the ablation and sweeps.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from clam_core.data.metaworld_data import dataset_meta, load_expert_demonstrations, load_metaworld_data
from clam_core.envs.metaworld_tasks import EVAL_SEED, TASKS_WITH_EXPERTS, evaluate
from clam_core.train.config import RunConfig
from training.benchmark_cells import Cell, CellStore
from training.benchmark_report import write_table
from training.metaworld_methods import table_methods, train_method
from training.metaworld_profiles import PROFILES, Profile, profile
from training.results_io import RESULTS_DIR

TABLE_TITLES = {
    "main": "MetaWorld, state-based, {labelled} labelled non-expert trajectories: success rate",
    "ablation": "CLAM ablation (discrete/continuous latents x joint/separate decoder): success rate",
    "beta": "Action-decoder loss weight beta ({task}): success rate",
    "latent_dim": "Latent action dimension ({task}): success rate",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    benchmarks = parser.add_subparsers(dest="benchmark", required=True)
    metaworld = benchmarks.add_parser(
        "metaworld", help="state-based MetaWorld (paper Tables 2, 5-7, Fig. 3-4)"
    )
    metaworld.add_argument("--profile", choices=PROFILES, default="smoke")
    metaworld.add_argument(
        "--tasks",
        nargs="+",
        help=f"MetaWorld v3 tasks (default: the profile's); any of "
        f"{len(TASKS_WITH_EXPERTS)} with a scripted expert, e.g. assembly-v3",
    )
    metaworld.add_argument("--methods", nargs="+", help="only these methods/variants (default: all)")
    metaworld.add_argument("--tables", nargs="+", choices=["main", "ablation", "beta", "latent_dim"])
    metaworld.add_argument("--seeds", type=int, help="training seeds per cell (default: the profile's)")
    metaworld.add_argument(
        "--device", default="auto", help="torch device for training (auto: CUDA if present)"
    )
    metaworld.add_argument(
        "--workers", type=int, default=2, help="processes for data generation and rollouts"
    )
    metaworld.add_argument(
        "--cache-dir", type=Path, help="generated datasets (default ~/.cache/clam/metaworld)"
    )
    metaworld.add_argument("--work-dir", type=Path, help="training runs (default outputs/benchmark/<name>)")
    metaworld.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    metaworld.add_argument(
        "--report-only", action="store_true", help="only rewrite the tables from finished cells"
    )
    metaworld.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    unknown = [t for t in args.tasks or [] if t not in TASKS_WITH_EXPERTS]
    if unknown:
        parser.error(f"unknown or expert-less MetaWorld task(s) {unknown}; e.g. {TASKS_WITH_EXPERTS[:4]}")
    return args


def grid(prof: Profile, tables: list[str], methods: list[str] | None, seeds: int) -> dict[str, list[Cell]]:
    """The cells of each table. The beta and latent-size sweeps run on one task, as in the paper."""
    cells = {}
    for table in tables:
        tasks = prof.tasks if table in ("main", "ablation") else (prof.beta_task,)
        names = [m for m in table_methods(table, prof) if methods is None or m in methods]
        cells[table] = [Cell(table, m, t, s) for m in names for t in tasks for s in range(seeds)]
    return cells


class TaskData:
    """Each task's datasets, generated on first use and kept for the cells that follow."""

    def __init__(self, prof: Profile, args: argparse.Namespace) -> None:
        self.prof, self.args = prof, args
        self._loaded: dict[str, tuple[Any, Any, dict]] = {}

    def get(self, task: str) -> tuple[Any, Any, dict]:
        if task not in self._loaded:
            data, meta = load_metaworld_data(
                task, self.prof.data, self.args.cache_dir, self.args.workers, progress=not self.args.quiet
            )
            expert = load_expert_demonstrations(task, self.prof.data, self.args.cache_dir)
            self._loaded = {task: (data, expert, meta)}  # one task in memory at a time
        return self._loaded[task]


def run_cell(cell: Cell, prof: Profile, data: TaskData, args: argparse.Namespace, work_dir: Path) -> dict:
    clam_data, expert, _ = data.get(cell.task)
    run = RunConfig(
        out_dir=str(work_dir / cell.table / cell.method / cell.task / f"seed{cell.seed}"),
        device=args.device,
        seed=cell.seed,
        progress=not args.quiet,
        log_every=max(prof.lam_steps // 20, 1),
        checkpoint_every=max(prof.lam_steps // 5, 1),
    )
    started = time.perf_counter()
    actor, metrics = train_method(cell.table, cell.method, prof, clam_data, expert, run)
    trained = time.perf_counter()
    workers = prof.eval_workers or args.workers
    outcome = evaluate(cell.task, actor, prof.eval_episodes, EVAL_SEED + 10_000 * cell.seed, workers)
    return {
        "success": outcome["mean"],
        "std_over_episodes": outcome["std"],
        "episodes": outcome["n"],
        "successes": outcome["successes"],
        "train_seconds": round(trained - started, 1),
        "eval_seconds": round(time.perf_counter() - trained, 1),
        **{f"lam_{k}": v for k, v in metrics.items()},
    }


def collapse_check(store: CellStore, cells: list[Cell]) -> dict[str, dict[str, Any]]:
    """Paper Table 9 per latent-action method and task (FDM reconstruction vs copy-last loss), with the
    action decoder's R² on the labelled data and against the expert's own actions."""
    check: dict[str, dict[str, Any]] = {}
    for cell in cells:
        result = store.result(cell)
        if result and "lam_recon_loss" in result:
            check.setdefault(cell.method, {})[f"{cell.task}/seed{cell.seed}"] = {
                "recon_loss": result["lam_recon_loss"],
                "copy_last_loss": result["lam_copy_last_loss"],
                "beats_copy_last": result["lam_recon_loss"] < result["lam_copy_last_loss"],
                "decoder_r2_labelled": result["lam_decoder_r2"],
                "decoder_r2_expert": result.get("lam_expert_decoder_r2"),  # against privileged labels
            }
    return check


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prof = profile(args.profile)
    if args.tasks:
        prof.tasks = tuple(args.tasks)
        if prof.beta_task not in prof.tasks:
            prof.beta_task = prof.tasks[0]
    seeds = args.seeds or prof.seeds
    tables = args.tables or list(prof.tables)
    cells = grid(prof, tables, args.methods, seeds)
    name = f"metaworld_{prof.name}"
    store = CellStore(args.results_dir / f"{name}_cells")
    work_dir = args.work_dir or Path("outputs") / "benchmark" / name
    started = time.perf_counter()
    data = TaskData(prof, args)
    all_cells = [c for table in tables for c in cells[table]]
    done_before = sum(store.result(c) is not None for c in all_cells)
    if not args.report_only:
        print(f"{name}: {len(all_cells)} cells, {done_before} already done", flush=True)
        for cell in store.pending(sorted(all_cells, key=lambda c: (c.task, c.table, c.method, c.seed))):
            print(f"[{cell.table}] {cell.method} on {cell.task}, seed {cell.seed}", flush=True)
            result = run_cell(cell, prof, data, args, work_dir)
            store.save(cell, result)
            print(
                f"  success {result['success']:.2f} over {result['episodes']} episodes "
                f"(train {result['train_seconds']} s, eval {result['eval_seconds']} s)",
                flush=True,
            )
    datasets = {task: dataset_meta(task, prof.data, args.cache_dir).get("subsets") for task in prof.tasks}
    payload = {
        "command": " ".join(["python training/benchmark.py", *(argv if argv is not None else sys.argv[1:])]),
        "config": {"profile": asdict(prof), "seeds": seeds},
        "wall_seconds_this_invocation": round(time.perf_counter() - started, 1),
        "datasets": datasets,
    }
    for table in tables:
        title = TABLE_TITLES[table].format(labelled=prof.data.labelled_episodes, task=prof.beta_task)
        extra = {"collapse_check": collapse_check(store, cells[table])}
        suffix = "" if table == "main" else f"_{table}"
        paths = write_table(name + suffix, title, store, cells[table], {**payload, **extra}, args.results_dir)
        print(f"{table}: {paths['md']}", flush=True)
    missing = sum(store.result(c) is None for c in all_cells)
    if missing:
        print(f"{missing} cells still missing (running elsewhere, or rerun to finish them)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
