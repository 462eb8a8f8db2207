"""MetaWorld v3 single tasks in the CLAM paper's setting (Table 14 and Appendix E).

An episode is 100 policy steps; each policy action is applied for 2 simulator steps (action repeat 2) and the
observation after the repeat is the next one. The state is MetaWorld's 39-dim vector (current and previous
hand/gripper/object state, then the goal position, which is observable); the action is 4-dim in [-1, 1]
(end-effector delta xyz, gripper). An episode succeeds if `info["success"]` is set at any simulator step.
MetaWorld refuses to step past 500 simulator steps without a reset: an episode has at most 250 policy steps.

Every reset draws a fresh task variation (object and goal positions) from the seed it is given, as TD-MPC2's
MetaWorld wrapper does, instead of cycling through MT1's 50 pre-sampled goals.

Evaluation steps many copies of a task in lockstep, split over worker processes, so a policy is called once
per step on a batch of observations.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing as mp
import multiprocessing.context
import traceback
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal, Protocol

import numpy as np
from metaworld.env_dict import ALL_V3_ENVIRONMENTS, ALL_V3_ENVIRONMENTS_GOAL_OBSERVABLE
from metaworld.policies import ENV_POLICY_MAP
from metaworld.policies.policy import Policy

from clam_core.parallel import forkserver_context

OBS_DIM = 39
ACTION_DIM = 4
EPISODE_LENGTH = 100  # policy steps
ACTION_REPEAT = 2
EVAL_SEED = 1_000_000  # evaluation episodes use seeds EVAL_SEED + i, away from small hand-picked seeds

PAPER_TASKS = ("assembly-v3", "bin-picking-v3", "peg-insert-side-v3", "shelf-place-v3")
# MetaWorld's own task -> scripted policy table: the class names do not always follow the task names
# (peg-insert-side-v3 is driven by SawyerPegInsertionSideV3Policy).
TASKS_WITH_EXPERTS = tuple(sorted(name for name in ALL_V3_ENVIRONMENTS if name in ENV_POLICY_MAP))

Controller = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _check_task(name: str) -> None:
    if name not in TASKS_WITH_EXPERTS:
        raise ValueError(f"unknown MetaWorld v3 task {name!r}; choose one of {TASKS_WITH_EXPERTS}")


def scripted_action(policy: Policy, obs: np.ndarray) -> np.ndarray:
    """The scripted policy's action, clipped to the action space (its P-controllers overshoot [-1, 1] and
    warn about it at every step; the simulator clips the arm command anyway, not the gripper one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        action = policy.get_action(np.asarray(obs, dtype=np.float64))
    return np.clip(action, -1.0, 1.0).astype(np.float32)


class MetaWorldTask:
    """One MetaWorld v3 task. `reset(seed)` starts a new random variation, deterministic in the seed (without
    a seed it continues the stream begun by the constructor's seed); `step` applies the action repeat.
    `env` is the MetaWorld env underneath (one simulator step per `env.step`)."""

    def __init__(self, name: str, seed: int = 0) -> None:
        _check_task(name)
        self.name = name
        env = ALL_V3_ENVIRONMENTS_GOAL_OBSERVABLE[f"{name}-goal-observable"](seed=seed)
        # The goal-observable class freezes the variation drawn in its constructor; unfreeze it and draw the
        # variations from the env's own seeded generator rather than NumPy's global one.
        env._freeze_rand_vec = False
        env.seeded_rand_vec = True
        self.env = env
        self._expert = ENV_POLICY_MAP[name]()

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None:
            self.env.seed(seed)  # env.reset(seed=...) ignores its seed
        obs, _ = self.env.reset()
        return obs.astype(np.float32)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, bool]:
        """Apply `action` for ACTION_REPEAT simulator steps; returns the last observation and whether the task
        was solved at any of those steps."""
        action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        success = False
        for _ in range(ACTION_REPEAT):
            obs, _, _, _, info = self.env.step(action)
            success = success or bool(info["success"])
        return obs.astype(np.float32), success

    def expert_action(self, obs: np.ndarray) -> np.ndarray:
        return scripted_action(self._expert, obs)


@dataclass(frozen=True)
class Behaviour:
    """Who drives an episode: uniform random actions, or the scripted expert plus Gaussian action noise of
    standard deviation `sigma` (clipped to [-1, 1]); sigma 0 is the clean expert."""

    kind: Literal["random", "expert"]
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("random", "expert"):
            raise ValueError(f"behaviour kind must be 'random' or 'expert', got {self.kind!r}")
        if self.sigma < 0 or (self.kind == "random" and self.sigma != 0):
            raise ValueError(f"invalid noise {self.sigma} for a {self.kind} behaviour")

    @property
    def label(self) -> str:
        if self.kind == "random":
            return "random"
        return "expert" if self.sigma == 0 else f"expert_sigma{self.sigma:g}"

    def controller(self, task: MetaWorldTask) -> Controller:
        return random_controller if self.kind == "random" else expert_controller(task, self.sigma)


def random_controller(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, ACTION_DIM).astype(np.float32)


def expert_controller(task: MetaWorldTask, sigma: float = 0.0) -> Controller:
    def act(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        action = task.expert_action(obs)
        if sigma > 0:
            action = np.clip(action + rng.normal(0.0, sigma, ACTION_DIM), -1.0, 1.0)
        return action.astype(np.float32)

    return act


def rollout(
    task: MetaWorldTask, controller: Controller, seed: int, length: int = EPISODE_LENGTH
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One episode of `length` policy steps: observations [T, 39] and actions [T, 4] (a_t is issued after o_t
    and leads to o_{t+1}) and whether the task was solved at any step. The last action is executed like the
    others (so the episode has the paper's 2 * length simulator steps); only the observation it leads to is
    not recorded, which keeps one action per frame without inventing a repeat."""
    rng = np.random.default_rng((seed, 1))  # controller noise: a stream of its own, apart from the env's
    observations, actions = [task.reset(seed)], []
    success = False
    for t in range(length):
        action = controller(observations[-1], rng)
        obs, solved = task.step(action)
        success = success or solved
        actions.append(action)
        if t < length - 1:
            observations.append(obs)
    return np.asarray(observations, np.float32), np.asarray(actions, np.float32), success


@functools.lru_cache(maxsize=4)
def _shared_task(name: str) -> MetaWorldTask:
    # Building an env compiles its MuJoCo model (~0.2 s); a worker records many episodes with one.
    return MetaWorldTask(name)


@dataclass(frozen=True)
class EpisodeJob:
    """A batch of episodes for one worker: one behaviour, one episode per seed."""

    task: str
    behaviour: Behaviour
    seeds: tuple[int, ...]
    length: int = EPISODE_LENGTH


def record_episodes(job: EpisodeJob) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observations [N, T, 39], actions [N, T, 4] and successes [N] (bool) of the job's episodes.
    A top-level function of this torch-free module, so worker processes start quickly."""
    task = _shared_task(job.task)
    controller = job.behaviour.controller(task)
    episodes = [rollout(task, controller, seed, job.length) for seed in job.seeds]
    return (
        np.stack([e[0] for e in episodes]),
        np.stack([e[1] for e in episodes]),
        np.array([e[2] for e in episodes], dtype=bool),
    )


def worker_context() -> multiprocessing.context.BaseContext:
    """Workers that have this module (MetaWorld takes ~1.5 s to import) imported already."""
    return forkserver_context(__name__)


class BatchAgent(Protocol):
    """What `evaluate` drives: `reset(num_envs)` before a batch of episodes, then one call per step."""

    def reset(self, num_envs: int) -> None: ...

    def act_batch(self, observations: np.ndarray) -> np.ndarray:  # [K, 39] -> [K, 4]
        ...


class ExpertAgent:
    """The scripted expert (optionally with Gaussian action noise) as a batch agent."""

    def __init__(self, task_name: str, sigma: float = 0.0, seed: int = 0) -> None:
        _check_task(task_name)
        self._policy = ENV_POLICY_MAP[task_name]()
        self._sigma = sigma
        self._rng = np.random.default_rng(seed)

    def reset(self, num_envs: int) -> None:
        pass  # the scripted policies have no memory

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        actions = np.stack([scripted_action(self._policy, obs) for obs in observations])
        if self._sigma > 0:
            actions = np.clip(actions + self._rng.normal(0.0, self._sigma, actions.shape), -1.0, 1.0)
        return actions.astype(np.float32)


class RandomAgent:
    """Uniform random actions."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)

    def reset(self, num_envs: int) -> None:
        pass

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        return self._rng.uniform(-1.0, 1.0, (len(observations), ACTION_DIM)).astype(np.float32)


class _TaskGroup:
    """Several copies of one task, reset and stepped together."""

    def __init__(self, task_name: str, count: int) -> None:
        self.tasks = [MetaWorldTask(task_name) for _ in range(count)]

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        return np.stack([task.reset(int(seed)) for task, seed in zip(self.tasks, seeds, strict=True)])

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        results = [task.step(action) for task, action in zip(self.tasks, actions, strict=True)]
        return np.stack([r[0] for r in results]), np.array([r[1] for r in results], dtype=bool)


def _serve_group(conn: Connection, task_name: str, count: int) -> None:
    """Worker loop: answers ("reset", seeds) and ("step", actions) until ("close", None)."""
    try:
        group = _TaskGroup(task_name, count)
        while True:
            command, payload = conn.recv()
            if command == "close":
                return
            conn.send(("ok", getattr(group, command)(payload)))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class VectorTask:
    """`num_envs` copies of one task stepped in lockstep, split over `workers` processes (in this process when
    `workers <= 1`). Use as a context manager so the workers are always shut down."""

    def __init__(self, task_name: str, num_envs: int, workers: int = 2) -> None:
        _check_task(task_name)
        self.num_envs = num_envs
        self._slices = [s for s in np.array_split(np.arange(num_envs), max(1, workers)) if len(s)]
        self._local: _TaskGroup | None = None
        self._conns: list[Connection] = []
        self._processes: list[mp.process.BaseProcess] = []
        if len(self._slices) == 1:
            self._local = _TaskGroup(task_name, num_envs)
            return
        ctx = worker_context()
        for part in self._slices:
            conn, child = ctx.Pipe()
            process = ctx.Process(target=_serve_group, args=(child, task_name, len(part)), daemon=True)
            process.start()
            child.close()  # so a dead worker shows up as EOF here instead of a hang
            self._conns.append(conn)
            self._processes.append(process)

    def _call(self, command: str, per_env: np.ndarray) -> list[Any]:
        if self._local is not None:
            return [getattr(self._local, command)(per_env)]
        for conn, part in zip(self._conns, self._slices, strict=True):
            conn.send((command, per_env[part]))
        replies = []
        for conn in self._conns:
            status, payload = conn.recv()
            if status == "error":
                raise RuntimeError(f"MetaWorld worker failed:\n{payload}")
            replies.append(payload)
        return replies

    def reset(self, seeds: Sequence[int]) -> np.ndarray:
        return np.concatenate(self._call("reset", np.asarray(seeds, dtype=np.int64)))

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        actions = np.asarray(actions, dtype=np.float32)
        if actions.shape != (self.num_envs, ACTION_DIM):
            raise ValueError(f"expected actions of shape {(self.num_envs, ACTION_DIM)}, got {actions.shape}")
        replies = self._call("step", actions)
        return np.concatenate([r[0] for r in replies]), np.concatenate([r[1] for r in replies])

    def close(self) -> None:
        for conn in self._conns:
            with contextlib.suppress(BrokenPipeError, OSError):  # the worker may be gone already
                conn.send(("close", None))
            conn.close()
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        self._conns, self._processes = [], []

    def __enter__(self) -> VectorTask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate(
    task_name: str,
    agent: BatchAgent,
    episodes: int = 50,
    seed: int = EVAL_SEED,
    workers: int = 2,
    batch_size: int = 16,
    length: int = EPISODE_LENGTH,
) -> dict[str, Any]:
    """Success rate of `agent` over `episodes` episodes (seeds `seed + i`), run in waves of at most
    `batch_size` lockstepped envs. Compiling an env costs about as much as running 1.5 episodes on it, so a
    few reused envs beat one env per episode. Returns mean and standard deviation over episodes, their number
    and the per-episode successes."""
    if episodes < 1 or batch_size < 1:
        raise ValueError(f"episodes and batch_size must be positive, got {episodes} and {batch_size}")
    waves = -(-episodes // batch_size)
    num_envs = -(-episodes // waves)
    successes: list[bool] = []
    with VectorTask(task_name, num_envs, workers) as envs:
        for start in range(0, episodes, num_envs):
            # The last wave may run up to `waves - 1` spare episodes past `episodes`; they are dropped below.
            obs = envs.reset(np.arange(seed + start, seed + start + num_envs))
            agent.reset(num_envs)
            solved = np.zeros(num_envs, dtype=bool)
            for _ in range(length):
                obs, solved_now = envs.step(agent.act_batch(obs))
                solved |= solved_now
            successes += solved.tolist()
    result = np.array(successes[:episodes])
    return {
        "mean": float(result.mean()),
        "std": float(result.std()),
        "n": episodes,
        "successes": result.tolist(),
    }
