"""How firmly must a MetaWorld task's gripper close, and what do the labelled data say it closes with?

An IDM cannot see the gripper command while the fingers hold an object: the fingers stop at the object's
width whatever the command. Its label there is the mean command of the labelled episodes in such states, so
a policy imitating IDM labels closes as firmly as D_labelled did on average. This probe measures both sides:

- the scripted expert's success when each of its closing commands (any positive gripper value) is replaced
  by a fixed `command`, over `episodes` evaluation episodes;
- the gripper command on the steps where the hand carries the object (the object moves with the hand), in
  D_labelled and in D_expert of the benchmark profile's data.

    python training/metaworld_gripper_probe.py [--tasks '[assembly-v3]'] [--episodes 32] [--profile cpu]

Writes training/results/metaworld_gripper_probe.{json,md}.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from clam_core.data.metaworld_data import ensure_metaworld_data
from clam_core.data.npz_cache import load_npz
from clam_core.envs.metaworld_tasks import EVAL_SEED, PAPER_TASKS, ExpertAgent, evaluate
from training.cli import parse_config
from training.metaworld_profiles import PROFILES, profile
from training.results_io import RESULTS_DIR, command_line, write_results

HAND = slice(0, 3)  # end-effector position in the 39-dim state
OBJECT = slice(4, 7)  # the first object's position: the one each paper task picks up
MIN_HAND_MOVE = 0.002  # metres per step; a still hand says nothing about what it carries
CARRY_TOLERANCE = 0.3  # the object's move differs from the hand's by less than this fraction of it


@dataclass
class GripperProbeConfig:
    tasks: tuple[str, ...] = PAPER_TASKS
    commands: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
    episodes: int = 32
    workers: int = 2
    profile: str = "cpu"  # whose D_labelled and D_expert are read (generated if not cached)
    cache_dir: str | None = None
    results_dir: str = str(RESULTS_DIR)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; choose one of {PROFILES}")
        if self.episodes < 1 or not self.commands:
            raise ValueError("episodes must be positive and commands not empty")
        if any(not -1.0 <= c <= 1.0 for c in self.commands):
            raise ValueError(f"gripper commands lie in [-1, 1], got {self.commands}")


class ClosingCommandAgent:
    """The scripted expert with every closing gripper command (a positive value) replaced by `command`."""

    def __init__(self, task: str, command: float) -> None:
        self._expert = ExpertAgent(task)
        self._command = command

    def reset(self, num_envs: int) -> None:
        self._expert.reset(num_envs)

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        actions = self._expert.act_batch(observations)
        actions[:, 3] = np.where(actions[:, 3] > 0, self._command, actions[:, 3])
        return actions


def carrying(observations: np.ndarray) -> np.ndarray:
    """[T, 39] states -> [T-1] bools: the transition moves the hand and the object with it."""
    hand = np.diff(observations[:, HAND], axis=0)
    obj = np.diff(observations[:, OBJECT], axis=0)
    moved = np.linalg.norm(hand, axis=1)
    return (moved > MIN_HAND_MOVE) & (np.linalg.norm(obj - hand, axis=1) < CARRY_TOLERANCE * moved)


def carried_commands(arrays: dict[str, np.ndarray]) -> dict[str, float | int | None]:
    """Gripper commands on the carrying steps of a subset's episodes: their number, mean and quartiles."""
    commands = np.concatenate(
        [
            a[: len(o) - 1, 3][carrying(o)]
            for o, a in zip(arrays["observations"], arrays["actions"], strict=True)
        ]
    )
    steps = sum(len(o) - 1 for o in arrays["observations"])
    if commands.size == 0:
        return {"carrying_steps": 0, "steps": steps, "mean": None, "q25": None, "median": None, "q75": None}
    q25, median, q75 = (float(q) for q in np.quantile(commands, [0.25, 0.5, 0.75]))
    return {
        "carrying_steps": int(commands.size),
        "steps": steps,
        "mean": float(commands.mean()),
        "q25": q25,
        "median": median,
        "q75": q75,
    }


def probe_task(task: str, cfg: GripperProbeConfig, bar: tqdm) -> dict:
    folder = ensure_metaworld_data(
        task, profile(cfg.profile).data, cfg.cache_dir, cfg.workers, progress=False
    )
    carried = {s: carried_commands(load_npz(folder / f"{s}.npz")) for s in ("labelled", "expert")}
    success = {}
    for command in cfg.commands:
        outcome = evaluate(task, ClosingCommandAgent(task, command), cfg.episodes, EVAL_SEED, cfg.workers)
        success[f"{command:g}"] = outcome["mean"]
        bar.update()
    return {"success_by_closing_command": success, "carried_commands": carried}


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(cfg: GripperProbeConfig) -> dict:
    started = time.perf_counter()
    results = {}
    with tqdm(total=len(cfg.tasks) * len(cfg.commands), desc="gripper probe", unit="eval") as bar:
        for task in cfg.tasks:
            results[task] = probe_task(task, cfg, bar)
    headers = [
        "task",
        *(f"close={c:g}" for c in cfg.commands),
        "D_labelled carrying: steps, mean (IQR)",
        "D_expert carrying: mean",
    ]
    rows = []
    for task, result in results.items():
        labelled, expert = result["carried_commands"]["labelled"], result["carried_commands"]["expert"]
        spread = f"{_cell(labelled['mean'])} ({_cell(labelled['q25'])}-{_cell(labelled['q75'])})"
        rows.append(
            [
                task,
                *(_cell(v) for v in result["success_by_closing_command"].values()),
                f"{labelled['carrying_steps']}, {spread}",
                _cell(expert["mean"]),
            ]
        )
    notes = [
        f"close=c: the scripted expert's success over {cfg.episodes} episodes with each closing gripper "
        "command replaced by c.",
        "carrying: steps where the hand moves and the object moves with it; the command there is what an IDM "
        "trained on D_labelled learns to output while the fingers hold an object.",
    ]
    payload = {
        "command": command_line("training/metaworld_gripper_probe.py"),
        "config": asdict(cfg),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    write_results(
        "metaworld_gripper_probe",
        "MetaWorld: the gripper command that holds, and the one D_labelled teaches",
        payload,
        headers,
        rows,
        Path(cfg.results_dir),
        notes,
    )
    return results


if __name__ == "__main__":
    main(parse_config(GripperProbeConfig))
