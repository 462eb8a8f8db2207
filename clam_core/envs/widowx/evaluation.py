"""Closed-loop evaluation of a checkpoint in the kitchen twin, episodes spread over worker processes.

Episode i starts from reset seed `seed + i` with a freshly reset agent, and each process runs torch on one
thread (thread counts change float reduction order), so every episode is a pure function of its seed and the
results do not depend on the number of workers. An episode ends once its success is latched or after
`episode_length` steps (the paper's 100-step budget).
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.envs.widowx.scene import CAMERAS
from clam_core.envs.widowx.tasks import TASKS
from clam_core.inference.agent import LatentActionAgent
from clam_core.keys import IMAGE_KEY_PREFIX
from clam_core.parallel import forkserver_context


@dataclass(frozen=True)
class EvalSpec:
    """What every worker needs to build its agent and env."""

    checkpoint: str
    task: str
    image_size: int
    cameras: tuple[str, ...]
    episode_length: int


@dataclass
class EpisodeOutcome:
    success: bool
    partial: bool
    steps: int
    frames: list[np.ndarray]  # one uint8 image per observation, when asked for


class EpisodeRunner:
    """One agent and one env, running episodes by reset seed."""

    def __init__(self, spec: EvalSpec) -> None:
        self.agent = LatentActionAgent.load(spec.checkpoint)
        missing = [c for c in self.agent.layout.cameras if c not in spec.cameras]
        if missing:
            raise ValueError(f"the checkpoint sees cameras {missing}, the evaluation renders {spec.cameras}")
        self.env = WidowXKitchenEnv(
            spec.task, spec.image_size, spec.cameras, episode_length=spec.episode_length
        )

    def run(self, seed: int, frames_camera: str | None = None) -> EpisodeOutcome:
        env = self.env
        obs, info = env.reset(seed=seed)
        self.agent.reset()
        frames = [self._frame(obs, frames_camera)] if frames_camera else []
        steps = 0
        while not info["success"] and steps < env.episode_length:
            obs, _, _, _, info = env.step(self.agent.act(obs))
            steps += 1
            if frames_camera:
                frames.append(self._frame(obs, frames_camera))
        return EpisodeOutcome(bool(info["success"]), bool(info["partial_success"]), steps, frames)

    def _frame(self, obs: dict[str, np.ndarray], camera: str) -> np.ndarray:
        key = IMAGE_KEY_PREFIX + camera
        return obs[key] if key in obs else self.env.render_camera(camera)

    def close(self) -> None:
        self.env.close()


_runner: EpisodeRunner | None = None  # a worker process's own, built by its first episode


def _run_in_worker(spec: EvalSpec, seed: int, frames_camera: str | None) -> EpisodeOutcome:
    # Built lazily inside a task rather than in a pool initializer, so a failing load reaches the caller with
    # its traceback instead of breaking the pool.
    global _runner
    if _runner is None:
        torch.set_num_threads(1)  # the workers share the cores
        _runner = EpisodeRunner(spec)
    return _runner.run(seed, frames_camera)


def _run_here(spec: EvalSpec, seeds: list[int], frames_camera: str | None) -> list[EpisodeOutcome]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers, so results match theirs
    runner = EpisodeRunner(spec)
    try:
        return [runner.run(seed, frames_camera if i == 0 else None) for i, seed in enumerate(seeds)]
    finally:
        runner.close()
        torch.set_num_threads(threads)


def evaluate_checkpoint(
    checkpoint: Path | str,
    task: str,
    episodes: int,
    seed: int,
    workers: int = 2,
    image_size: int = 64,
    cameras: tuple[str, ...] = ("external", "shoulder"),
    episode_length: int = 100,
    frames_camera: str | None = None,
) -> dict[str, Any]:
    """Success and partial-success rates of the checkpoint's agent on `task` over `episodes` episodes (reset
    seeds `seed + i`), with `workers` processes (in this one for 1 worker or 1 episode). With `frames_camera`,
    the result's `frames` holds episode 0's images from that camera, one per observation."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    if episodes < 1 or workers < 1 or episode_length < 1:
        raise ValueError(
            f"episodes, workers and episode_length must be positive, got {episodes, workers, episode_length}"
        )
    unknown = [c for c in (*cameras, frames_camera) if c is not None and c not in CAMERAS]
    if unknown:
        raise ValueError(f"unknown cameras {unknown}; choose from {tuple(CAMERAS)}")
    spec = EvalSpec(str(checkpoint), task, image_size, tuple(cameras), episode_length)
    seeds = [seed + i for i in range(episodes)]
    started = time.perf_counter()
    if workers == 1 or episodes == 1:
        outcomes = _run_here(spec, seeds, frames_camera)
    else:
        executor = ProcessPoolExecutor(min(workers, episodes), forkserver_context(__name__))
        try:
            wanted_frames = [frames_camera] + [None] * (episodes - 1)
            outcomes = list(executor.map(partial(_run_in_worker, spec), seeds, wanted_frames))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)  # after a failure, run no further episodes
    seconds = time.perf_counter() - started
    successes = [o.success for o in outcomes]
    partials = [o.partial for o in outcomes]
    steps = [o.steps for o in outcomes]
    result = {
        "task": task,
        "n": episodes,
        "seed": seed,
        "success_rate": float(np.mean(successes)),
        "partial_rate": float(np.mean(partials)),
        "successes": successes,
        "partials": partials,
        "steps": steps,
        "mean_steps": float(np.mean(steps)),
        "seconds": round(seconds, 2),
        "steps_per_second": round(sum(steps) / seconds, 1),  # worker start-up and agent loading included
    }
    if frames_camera:
        result["frames"] = outcomes[0].frames
    return result
