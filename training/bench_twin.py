"""The WidowX kitchen twin's speed and its scripted controllers, measured.

- Speed: environment steps per second with both cameras rendering at `image_size`, driven by the play
  controller, over whole episodes -> training/results/twin_speed.{json,md}.
- Controllers: success and partial-success rates over `episodes` randomised episodes per task for the
  scripted expert and for a random walk in joint space; objects the play controller touches
  -> training/results/twin_controllers.{json,md}.

    python training/bench_twin.py [--episodes 50] [--image_size 128] [--speed_episodes 3]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import draccus
import numpy as np
from tqdm.auto import tqdm

from clam_core.envs.widowx.controllers import PLAY_OBJECTS, PlayController, RandomController, ScriptedExpert
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.envs.widowx.tasks import TASKS
from training.cli import parse_config
from training.results_io import write_results


@dataclass
class TwinBenchConfig:
    episodes: int = 50
    play_episodes: int = 20
    image_size: int = 128
    speed_episodes: int = 3
    seed: int = 0
    skip_speed: bool = False
    skip_controllers: bool = False


def measure_speed(cfg: TwinBenchConfig) -> dict:
    env = WidowXKitchenEnv("microwave", image_size=cfg.image_size)
    steps, elapsed = 0, 0.0
    for episode in range(cfg.speed_episodes):
        obs, _ = env.reset(seed=cfg.seed + episode)
        play = PlayController(env, seed=cfg.seed + episode)
        truncated = False
        while not truncated:
            action = play.act(obs)  # the controller's IK is not the environment's cost
            started = time.perf_counter()
            obs, _, _, truncated, _ = env.step(action)
            elapsed += time.perf_counter() - started
            steps += 1
    env.close()
    return {
        "steps": steps,
        "seconds": round(elapsed, 3),
        "steps_per_s": round(steps / elapsed, 1),
        "cameras": list(env.cameras),
        "image_size": cfg.image_size,
        "physics_substeps_per_step": env.substeps,
        "control_hz": 5.0,
    }


def run_episode(
    env: WidowXKitchenEnv, policy: Callable, seed: int, reset: Callable | None = None
) -> tuple[bool, bool, set[str]]:
    """One full episode; returns (success, partial success, objects the arm touched)."""
    if reset is not None:
        reset()
    obs, info = env.reset(seed=seed)
    touched: set[str] = set()
    truncated = False
    while not truncated:
        obs, _, _, truncated, info = env.step(policy(obs))
        touched |= env.state.touched_objects()
    return info["success"], info["partial_success"], touched


def measure_controllers(cfg: TwinBenchConfig) -> tuple[list[dict], dict]:
    rows = []
    for task in TASKS:
        env = WidowXKitchenEnv(task, cameras=())
        expert = ScriptedExpert(env)
        random = RandomController(env, seed=cfg.seed)
        for name, policy, reset in (
            ("scripted expert", expert.act, expert.reset),
            ("random walk", random.act, random.reset),
        ):
            outcomes = [
                run_episode(env, policy, seed=cfg.seed + 1000 * k, reset=reset)
                for k in tqdm(range(cfg.episodes), desc=f"{task}/{name}", leave=False)
            ]
            rows.append(
                {
                    "task": task,
                    "controller": name,
                    "episodes": cfg.episodes,
                    "success": float(np.mean([o[0] for o in outcomes])),
                    "partial_success": float(np.mean([o[1] for o in outcomes])),
                }
            )
            print(
                f"{task:<10} {name:<16} success {rows[-1]['success']:.2f} "
                f"partial {rows[-1]['partial_success']:.2f}"
            )
    env = WidowXKitchenEnv("microwave", cameras=())
    counts = {name: 0 for name in PLAY_OBJECTS}
    for episode in tqdm(range(cfg.play_episodes), desc="play", leave=False):
        play = PlayController(env, seed=cfg.seed + episode)
        for name in run_episode(env, play.act, seed=cfg.seed + episode)[2]:
            counts[name] += 1
    return rows, {"episodes": cfg.play_episodes, "episodes_touching": counts}


def main(cfg: TwinBenchConfig) -> None:
    command = "python training/bench_twin.py"
    if not cfg.skip_speed:
        started = time.time()
        speed = measure_speed(cfg)
        print(f"twin: {speed['steps_per_s']} steps/s with {speed['cameras']} at {cfg.image_size}px")
        write_results(
            "twin_speed",
            "WidowX kitchen twin: environment steps per second",
            {
                "config": draccus.encode(cfg),
                "command": command,
                "result": speed,
                "wall_time_s": round(time.time() - started, 1),
            },
            ["cameras", "image size", "steps/s", "steps timed", "substeps/step"],
            [
                [
                    " + ".join(speed["cameras"]),
                    f"{cfg.image_size}x{cfg.image_size}",
                    speed["steps_per_s"],
                    speed["steps"],
                    speed["physics_substeps_per_step"],
                ]
            ],
        )
    if not cfg.skip_controllers:
        started = time.time()
        rows, play = measure_controllers(cfg)
        table = [
            [r["task"], r["controller"], r["episodes"], f"{r['success']:.2f}", f"{r['partial_success']:.2f}"]
            for r in rows
        ]
        table += [
            [
                "(any)",
                "play",
                play["episodes"],
                "touched "
                + ", ".join(f"{k} {v}/{play['episodes']}" for k, v in play["episodes_touching"].items()),
                "",
            ]
        ]
        write_results(
            "twin_controllers",
            "WidowX kitchen twin: scripted controllers",
            {
                "config": draccus.encode(cfg),
                "command": command,
                "results": rows,
                "play": play,
                "wall_time_s": round(time.time() - started, 1),
            },
            ["task", "controller", "episodes", "success", "partial success"],
            table,
        )


if __name__ == "__main__":
    main(parse_config(TwinBenchConfig))
