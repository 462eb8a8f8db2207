"""One cell of the kitchen benchmark: its task's data, training one method, and evaluating the checkpoint in
the twin over the profile's episodes (success and partial success)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from clam_core.data.kitchen_data import (
    META_FILE,
    PLAY,
    KitchenEpisodes,
    dataset_dir,
    ensure_kitchen_data,
    expert_subset,
    labelled_episodes,
    load_kitchen_episodes,
)
from clam_core.envs.widowx.evaluation import evaluate_checkpoint
from clam_core.train.config import RunConfig
from training.benchmark_cells import Cell
from training.kitchen_methods import KitchenTaskData, task_data, train_method
from training.kitchen_profiles import KitchenProfile

# Data episodes reset with seeds drawn as uint32 (kitchen_data._seeds); evaluation starts above them all, so
# no evaluation episode replays a training scene.
EVAL_SEED = 2**32
SEED_STRIDE = 10_000  # training seed s evaluates on EVAL_SEED + s * SEED_STRIDE + i
PARTIAL = "partial"  # a cell's partial-success rate, next to its "success" rate


class KitchenTasks:
    """The profile's datasets at its observation layout: every subset generated in one pass on first use, play
    kept as uint8 images, and one task's play + demonstrations as float observations at a time (cells run
    task by task). The float observations are held once: the paper's 50k play steps take ~5 GB, not 20."""

    def __init__(self, prof: KitchenProfile, cache_dir: Path | None, workers: int, progress: bool) -> None:
        self.prof, self.cache_dir, self.workers, self.progress = prof, cache_dir, workers, progress
        self.layout = prof.data.layout()
        self._folder: Path | None = None
        self._play: KitchenEpisodes | None = None
        self._loaded: dict[str, KitchenTaskData] = {}

    def get(self, task: str) -> KitchenTaskData:
        if task not in self._loaded:
            self._loaded.clear()  # the previous task's floats go before this task's are made
            if self._folder is None:
                self._folder = ensure_kitchen_data(
                    self.prof.data, self.prof.tasks, self.cache_dir, self.workers, self.progress
                )
            if self._play is None:
                self._play = load_kitchen_episodes(self._folder, PLAY)
            expert = load_kitchen_episodes(self._folder, expert_subset(task))
            episodes = labelled_episodes(KitchenEpisodes.concat([self._play, expert]), self.layout)
            self._loaded[task] = task_data(episodes, self._play.num_episodes, self.layout)
        return self._loaded[task]

    def meta(self) -> dict[str, Any] | None:
        """Every generated subset's statistics (episodes, transitions, expert attempts), if generated yet."""
        path = dataset_dir(self.prof.data, self.cache_dir) / META_FILE
        return json.loads(path.read_text())["subsets"] if path.is_file() else None


def run_cell(cell: Cell, prof: KitchenProfile, data: KitchenTasks, run: RunConfig, workers: int) -> dict:
    task = data.get(cell.task)
    started = time.perf_counter()
    checkpoint, metrics = train_method(cell.method, prof, task, run)
    trained = time.perf_counter()
    outcome = evaluate_checkpoint(
        checkpoint,
        cell.task,
        episodes=prof.eval_episodes,
        seed=EVAL_SEED + SEED_STRIDE * cell.seed,
        workers=prof.eval_workers or workers,
        image_size=prof.data.image_size,
        cameras=prof.data.cameras,
        episode_length=prof.eval_length,
    )
    return {
        "success": outcome["success_rate"],
        PARTIAL: outcome["partial_rate"],
        "episodes": outcome["n"],
        "successes": outcome["successes"],
        "partials": outcome["partials"],
        "steps": outcome["steps"],
        "eval_seed": outcome["seed"],
        "train_seconds": round(trained - started, 1),
        "eval_seconds": round(time.perf_counter() - trained, 1),
        **{f"lam_{k}": v for k, v in metrics.items()},
    }
