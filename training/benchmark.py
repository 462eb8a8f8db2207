"""Simulation benchmarks, one command each.

    python training/benchmark.py metaworld
        --profile {smoke,cpu,long,cpu_context2,cpu_cosine,cpu_long_policy,paper}
        [--tasks ...] [--methods ...] [--tables main ablation beta latent_dim] [--seeds N]
        [--device cpu|cuda] [--workers 2]
    python training/benchmark.py kitchen --profile {smoke,cpu,cpu_more_play,cpu_paper_play,cpu_shift,paper}
        [--tasks ...] [--methods ...] [--seeds N] [--device auto] [--workers 2]

Both also take --cache-dir, --work-dir, --results-dir, --report-only and --quiet. Every (table, method, task,
seed) cell trains one method on generated, cached data and evaluates it over `eval_episodes` rollouts.
Finished cells are kept (resume by rerunning the command; run the same command in several terminals to share
the grid between processes), and the tables are rewritten at the end:

- metaworld (state-based): training/results/metaworld_<profile>.{json,md,png} (the main table, laid out like
  the paper's Table 5) and metaworld_<profile>_{ablation,beta,latent_dim}.* for the ablation and sweeps.
- kitchen (images, the MuJoCo twin of the WidowX kitchen, paper Table 3 setting): labelled play data from the
  twin's play controller, action-free expert demonstrations per task; Space-Time CLAM, VPT, LAPA, BC-AL and
  the privileged BC-Expert; success and partial success in training/results/kitchen_<profile>.{json,md,png}.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from clam_core.data.metaworld_data import dataset_meta, load_expert_demonstrations, load_metaworld_data
from clam_core.envs.metaworld_tasks import EVAL_SEED, TASKS_WITH_EXPERTS, evaluate
from clam_core.envs.widowx.tasks import TASKS as KITCHEN_TASKS
from training import kitchen_profiles
from training.benchmark_cells import Cell, CellStore, config_key, runs_folder
from training.benchmark_report import summarise, write_table
from training.kitchen_cells import EVAL_SEED as KITCHEN_EVAL_SEED
from training.kitchen_cells import PARTIAL, KitchenTasks
from training.kitchen_cells import run_cell as run_kitchen_cell
from training.kitchen_methods import METHODS as KITCHEN_METHODS
from training.kitchen_methods import TARGET, target_check, target_notes
from training.metaworld_methods import TABLES, earlier_twin, table_methods, train_method
from training.metaworld_profiles import PROFILES, Profile, profile
from training.results_io import RESULTS_DIR, command_line, training_machine

TABLE_TITLES = {
    "main": "MetaWorld, state-based, {labelled} labelled non-expert trajectories: success rate",
    "ablation": "CLAM ablation (discrete/continuous latents x joint/separate decoder): success rate",
    "beta": "Action-decoder loss weight beta ({task}): success rate",
    "latent_dim": "Latent action dimension ({task}): success rate",
}
KITCHEN_TITLE = (
    "WidowX kitchen twin, images, {play} play episodes with actions and {experts} action-free demonstrations "
    "per task: success / partial success rate"
)


def add_run_arguments(parser: argparse.ArgumentParser, data: str) -> None:
    """The options every benchmark shares, after its own."""
    parser.add_argument("--seeds", type=int, help="training seeds per cell (default: the profile's)")
    parser.add_argument("--device", default="auto", help="torch device for training (auto: CUDA if present)")
    parser.add_argument("--workers", type=int, default=2, help="processes for data generation and rollouts")
    parser.add_argument("--cache-dir", type=Path, help=f"generated datasets (default ~/.cache/clam/{data})")
    parser.add_argument("--work-dir", type=Path, help="training runs (default outputs/benchmark/<name>)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--report-only", action="store_true", help="only rewrite the tables from finished cells"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


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
    metaworld.add_argument("--tables", nargs="+", choices=TABLES)
    add_run_arguments(metaworld, "metaworld")
    kitchen = benchmarks.add_parser("kitchen", help="image-based WidowX kitchen twin (paper Table 3 setting)")
    kitchen.add_argument("--profile", choices=kitchen_profiles.PROFILES, default="smoke")
    kitchen.add_argument(
        "--tasks", nargs="+", choices=KITCHEN_TASKS, help="kitchen tasks (default: the profile's)"
    )
    kitchen.add_argument("--methods", nargs="+", choices=KITCHEN_METHODS, help="only these (default: all)")
    add_run_arguments(kitchen, "kitchen")
    args = parser.parse_args(argv)
    unknown = [t for t in args.tasks or [] if args.benchmark == "metaworld" and t not in TASKS_WITH_EXPERTS]
    if unknown:
        parser.error(f"unknown or expert-less MetaWorld task(s) {unknown}; e.g. {TASKS_WITH_EXPERTS[:4]}")
    return args


def work_through(
    name: str, store: CellStore, cells: list[Cell], run_cell: Callable[[Cell], dict[str, Any]]
) -> None:
    """Run and store every cell that has no result and no other process holds."""
    done_before = sum(store.result(c) is not None for c in cells)
    print(f"{name}: {len(cells)} cells, {done_before} already done", flush=True)
    # Task by task, tables in TABLES order, so a sweep cell finds its main-table twin already done.
    order = sorted(cells, key=lambda c: (c.task, TABLES.index(c.table), c.method, c.seed))
    for cell in store.pending(order):
        print(f"[{cell.table}] {cell.method} on {cell.task}, seed {cell.seed}", flush=True)
        result = run_cell(cell)
        store.save(cell, result)
        partial = f", partial {result[PARTIAL]:.2f}" if PARTIAL in result else ""
        reused = f", reused from {result['same_as']}" if "same_as" in result else ""
        print(
            f"  success {result['success']:.2f}{partial} over {result['episodes']} episodes "
            f"(train {result['train_seconds']} s, eval {result['eval_seconds']} s{reused})",
            flush=True,
        )


def cell_storage(name: str, prof: Any, args: argparse.Namespace) -> tuple[str, CellStore, Path]:
    """The profile's configuration key, its cell store, and the folder its training runs resume from: one
    folder per configuration, so no run resumes a stale one."""
    key = config_key(prof)
    return key, CellStore(args.results_dir / f"{name}_cells", key), runs_folder(name, prof, args.work_dir)


def report_missing(store: CellStore, cells: list[Cell]) -> None:
    missing = sum(store.result(c) is None for c in cells)
    if missing:
        print(f"{missing} cells still missing (running elsewhere, or rerun to finish them)", flush=True)


# ----------------------------------------------------------------------------------------------- metaworld
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


def train_and_evaluate(
    cell: Cell, prof: Profile, data: TaskData, args: argparse.Namespace, work_dir: Path
) -> dict:
    clam_data, expert, _ = data.get(cell.task)
    run = cell.run_config(work_dir, args.device, not args.quiet, prof.lam_steps)
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
        "trained_on": training_machine(args.device),
        **{f"lam_{k}": v for k, v in metrics.items()},
    }


def run_cell(
    cell: Cell, prof: Profile, data: TaskData, args: argparse.Namespace, work_dir: Path, store: CellStore
) -> dict:
    """Train and evaluate the cell, or take the result of its twin in an earlier table (trained first if
    missing, and stored there too) when both would train the very same model."""
    twin = earlier_twin(cell.table, cell.method, prof)
    if twin is None:
        return train_and_evaluate(cell, prof, data, args, work_dir)
    source = replace(cell, table=twin[0], method=twin[1])
    result = store.result(source)
    if result is None:
        result = train_and_evaluate(source, prof, data, args, work_dir)
        store.save(source, result)
    return {**result, "same_as": f"{source.table}/{source.method}"}


def twins_note(table: str, prof: Profile) -> str | None:
    twins = [(m, earlier_twin(table, m, prof)) for m in table_methods(table, prof)]
    reused = [f"{m} = {twin[0]} {twin[1]}" for m, twin in twins if twin]
    if not reused:
        return None
    return (
        "Reused, not retrained, because the configuration and seeds are identical: " + ", ".join(reused) + "."
    )


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
                "decoder_r2_expert_weighted": result.get("lam_expert_decoder_r2_weighted"),
            }
    return check


def run_metaworld(args: argparse.Namespace, argv: list[str] | None) -> None:
    prof = profile(args.profile)
    if args.tasks:
        prof.tasks = tuple(args.tasks)
        if prof.beta_task not in prof.tasks:
            prof.beta_task = prof.tasks[0]
    seeds = args.seeds or prof.seeds
    tables = args.tables or list(prof.tables)
    cells = grid(prof, tables, args.methods, seeds)
    name = f"metaworld_{prof.name}"
    key, store, work_dir = cell_storage(name, prof, args)
    started = time.perf_counter()
    data = TaskData(prof, args)
    all_cells = [c for table in tables for c in cells[table]]
    if not args.report_only:
        work_through(name, store, all_cells, lambda cell: run_cell(cell, prof, data, args, work_dir, store))
    datasets = {task: dataset_meta(task, prof.data, args.cache_dir).get("subsets") for task in prof.tasks}
    payload = {
        "command": command_line("training/benchmark.py", argv),
        "config": {"profile": asdict(prof), "seeds": seeds, "config_key": key},
        "wall_seconds_this_invocation": round(time.perf_counter() - started, 1),
        "datasets": datasets,
    }
    notes = [labelled_data_note(datasets)]
    for table in tables:
        title = TABLE_TITLES[table].format(labelled=prof.data.labelled_episodes, task=prof.beta_task)
        extra = {"collapse_check": collapse_check(store, cells[table])}
        suffix = "" if table == "main" else f"_{table}"
        table_notes = [*notes, *filter(None, [twins_note(table, prof)])]
        paths = write_table(
            name + suffix,
            title,
            store,
            cells[table],
            {**payload, **extra},
            args.results_dir,
            notes=table_notes,
        )
        print(f"{table}: {paths['md']}", flush=True)
    report_missing(store, all_cells)


def labelled_data_note(datasets: dict[str, dict[str, Any] | None]) -> str:
    """D_labelled's own success per task, kept and before any filtering: it must stay low (issue 3)."""
    labelled = {task: subsets["labelled"] for task, subsets in datasets.items() if subsets}
    rates = [
        f"{task} {stats['success_rate']:.2f} ({stats['success_rate_before_filter']:.2f})"
        for task, stats in labelled.items()
    ]
    return "D_labelled's own success rate (before keeping only failed episodes): " + ", ".join(rates) + "."


# ----------------------------------------------------------------------------------------------- kitchen
def run_kitchen(args: argparse.Namespace, argv: list[str] | None) -> None:
    prof = kitchen_profiles.profile(args.profile)
    if args.tasks:
        prof = replace(prof, tasks=tuple(dict.fromkeys(args.tasks)))
    seeds = args.seeds or prof.seeds
    methods = [m for m in KITCHEN_METHODS if args.methods is None or m in args.methods]
    cells = [Cell("main", m, t, s) for m in methods for t in prof.tasks for s in range(seeds)]
    name = f"kitchen_{prof.name}"
    key, store, work_dir = cell_storage(name, prof, args)
    started = time.perf_counter()
    data = KitchenTasks(prof, args.cache_dir, args.workers, progress=not args.quiet)

    def run_cell(cell: Cell) -> dict[str, Any]:
        run = cell.run_config(work_dir, args.device, not args.quiet, prof.lam_steps)
        return {
            **run_kitchen_cell(cell, prof, data, run, args.workers),
            "trained_on": training_machine(args.device),
        }

    if not args.report_only:
        work_through(name, store, cells, run_cell)
    check = target_check(summarise(store, cells), list(prof.tasks), prof.name)
    payload = {
        "command": command_line("training/benchmark.py", argv),
        "config": {"profile": asdict(prof), "seeds": seeds, "methods": methods, "config_key": key},
        "wall_seconds_this_invocation": round(time.perf_counter() - started, 1),
        "datasets": data.meta(),
        "evaluation": {"first_seed": KITCHEN_EVAL_SEED, "episodes": prof.eval_episodes},
        "target": TARGET,
        "target_check": check,
        "collapse_check": collapse_check(store, cells),
    }
    title = KITCHEN_TITLE.format(play=prof.data.play_episodes, experts=prof.data.expert_episodes)
    notes = [
        f"Each cell: success / partial success rate, mean ± std over seeds, each seed over "
        f"{prof.eval_episodes} episodes of at most {prof.eval_length} steps; bc_expert is privileged "
        "(trained on the demonstrations' own actions).",
        *target_notes(check),
    ]
    paths = write_table(name, title, store, cells, payload, args.results_dir, (PARTIAL,), notes)
    print(f"kitchen: {paths['md']}", flush=True)
    report_missing(store, cells)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = run_kitchen if args.benchmark == "kitchen" else run_metaworld
    run(args, argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
