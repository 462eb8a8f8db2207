"""Peak memory of training one kitchen benchmark cell, per method, on this machine.

Each method runs in a fresh process that loads the profile's data for one task the way the benchmark does
(`KitchenTasks`), trains it for a few steps with the profile's architectures and batch size, and reports its
peak resident memory. Memory depends on the data held and the batch, not on the number of steps, so a few
steps measure what a whole cell needs. The play data is generated first if the cache lacks it.
Writes training/results/kitchen_memory_<profile>.{json,md}.

    python training/bench_kitchen_memory.py [--profile cpu_more_play] [--task button] [--steps 5]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from clam_core.data.kitchen_data import ensure_kitchen_data
from clam_core.parallel import forkserver_context
from clam_core.train.config import RunConfig
from training.cli import parse_config
from training.kitchen_cells import KitchenTasks
from training.kitchen_methods import METHODS, train_method
from training.kitchen_profiles import PROFILES, profile
from training.results_io import RESULTS_DIR, write_results

GB = 2**30


@dataclass
class KitchenMemoryConfig:
    profile: str = "cpu_more_play"
    task: str = "button"
    methods: list[str] = field(default_factory=lambda: ["st_clam", "vpt", "bc_al"])
    steps: int = 5  # training steps per stage
    cache_dir: str | None = None
    results_dir: str = str(RESULTS_DIR)


def _measure(cfg: KitchenMemoryConfig, method: str, out_dir: str) -> dict[str, float]:
    """In a fresh worker process: load the task's data, train `method` briefly, report the peak memory."""
    started = time.perf_counter()
    prof = profile(cfg.profile)
    short = replace(prof, lam_steps=cfg.steps, policy_steps=cfg.steps, warmup_steps=1)
    cache = Path(cfg.cache_dir) if cfg.cache_dir else None
    data = KitchenTasks(short, cache, workers=1, progress=False).get(cfg.task)
    train_method(method, short, data, RunConfig(out_dir=out_dir, device="cpu", progress=False))
    return {
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB,  # ru_maxrss is KiB
        "observations_gb": data.clam.unlabelled.observations.nbytes / GB,
        "play_steps": data.clam.labelled.num_steps,
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    cfg = parse_config(KitchenMemoryConfig, argv)
    if cfg.profile not in PROFILES:
        raise SystemExit(f"unknown profile {cfg.profile!r}; choose one of {PROFILES}")
    unknown = [m for m in cfg.methods if m not in METHODS]
    if unknown or cfg.steps < 1:
        raise SystemExit(f"methods must be from {METHODS} (got {unknown}) and steps positive")
    prof = profile(cfg.profile)
    if cfg.task not in prof.tasks:
        raise SystemExit(f"task must be one of the profile's {prof.tasks}, got {cfg.task!r}")
    ensure_kitchen_data(prof.data, prof.tasks, Path(cfg.cache_dir) if cfg.cache_dir else None, progress=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="clam-memory-") as work:
        for method in cfg.methods:
            # One process per method, so each peak is that method's alone.
            with ProcessPoolExecutor(1, mp_context=forkserver_context("training.kitchen_methods")) as pool:
                results[method] = pool.submit(_measure, cfg, method, str(Path(work) / method)).result()
            print(f"{method}: peak {results[method]['peak_rss_gb']:.2f} GB", flush=True)
    observations = next(iter(results.values()))
    write_results(
        f"kitchen_memory_{cfg.profile}",
        f"Peak memory of a kitchen `{cfg.profile}` cell's training on {cfg.task}, per method",
        {"config": vars(cfg), "results": results, "command": " ".join(["python", *sys.argv])},
        ["method", "play steps", "float observations GB", "peak RSS GB"],
        [
            [m, r["play_steps"], f"{r['observations_gb']:.2f}", f"{r['peak_rss_gb']:.2f}"]
            for m, r in results.items()
        ],
        Path(cfg.results_dir),
        notes=[
            f"{cfg.steps} training steps per stage: memory depends on the data held and the batch, not on "
            "the number of steps",
            f"float observations: play + the task's demonstrations, {observations['observations_gb']:.2f} GB "
            "as one float32 tensor",
        ],
    )
    return results


if __name__ == "__main__":
    main()
