"""A toy system whose true actions are known: a 2-D point mass driven by a force, plus a distractor.

Observation: [agent position (2), agent velocity (2), distractor position (2), distractor velocity (2)].
The action is the agent's force in [-1, 1]^2. The distractor is pushed by random forces the observer cannot
predict, so a latent action model must encode them too: reconstruction alone does not tell the latent which
part of the change was caused by the action, which is what joint decoder training fixes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clam_core.algos.clam import CLAMData
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes, concat_observations

Controller = Callable[[np.ndarray, np.random.Generator], np.ndarray]

OBS_DIM = 8
ACTION_DIM = 2


@dataclass
class PointMassConfig:
    dt: float = 0.1
    damping: float = 0.8  # velocity kept per step
    gain: float = 1.0  # velocity change per unit force per step
    distractor_force: float = 1.0
    arena: float = 2.0  # positions are clipped to [-arena, arena]
    goal_radius: float = 0.15
    episode_length: int = 50


class PointMassEnv:
    """Deterministic given its seed; `step` returns (observation, reached_goal)."""

    def __init__(self, cfg: PointMassConfig | None = None) -> None:
        self.cfg = cfg or PointMassConfig()
        self.goal = np.zeros(2)
        self._state = np.zeros(OBS_DIM)
        self._rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> np.ndarray:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        arena = self.cfg.arena
        state = np.zeros(OBS_DIM)
        state[0:2] = self._rng.uniform(-arena, arena, 2)
        state[4:6] = self._rng.uniform(-arena, arena, 2)
        self._state = state
        return state.copy()

    def _advance(self, position: np.ndarray, velocity: np.ndarray, force: np.ndarray) -> None:
        velocity[:] = self.cfg.damping * velocity + self.cfg.gain * force
        position[:] = np.clip(position + self.cfg.dt * velocity, -self.cfg.arena, self.cfg.arena)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, bool]:
        action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        s = self._state
        self._advance(s[0:2], s[2:4], action)
        self._advance(s[4:6], s[6:8], self._rng.uniform(-1, 1, 2) * self.cfg.distractor_force)
        return s.copy(), self.reached_goal()

    def reached_goal(self) -> bool:
        return bool(np.linalg.norm(self._state[0:2] - self.goal) < self.cfg.goal_radius)


def expert_controller(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """PD control to the goal at the origin, with a little noise."""
    force = -1.0 * obs[0:2] - 1.5 * obs[2:4] + rng.normal(0, 0.05, 2)
    return np.clip(force, -1.0, 1.0)


def play_controller(obs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Task-agnostic random forces: covers the action space, solves nothing."""
    return rng.uniform(-1.0, 1.0, 2)


def rollout(env: PointMassEnv, controller: Controller, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """One episode: observations [T, D], actions [T, A] (a_t issued after o_t; the last is a repeat so
    every frame has one), and whether the goal was reached at the end."""
    rng = np.random.default_rng(seed + 1_000_003)
    observations, actions = [env.reset(seed)], []
    reached = False
    for _ in range(env.cfg.episode_length - 1):
        action = controller(observations[-1], rng)
        obs, reached = env.step(action)
        actions.append(action)
        observations.append(obs)
    actions.append(actions[-1])
    return np.asarray(observations, np.float32), np.asarray(actions, np.float32), reached


def generate(
    controller: Controller, episodes: int, seed: int, cfg: PointMassConfig | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """`episodes` rollouts; returns per-episode observations, actions and the success rate."""
    env = PointMassEnv(cfg)
    results = [rollout(env, controller, seed + i) for i in range(episodes)]
    return [r[0] for r in results], [r[1] for r in results], float(np.mean([r[2] for r in results]))


def make_clam_data(
    play_episodes: int, expert_episodes: int, labelled_fraction: float, seed: int = 0
) -> CLAMData:
    """The paper's setting on the toy system: random play of which only `labelled_fraction` of all
    transitions keep their actions, everything observation-only for the LAM, and observation-only expert
    demos for the latent policy."""
    play_obs, play_act, _ = generate(play_controller, play_episodes, seed)
    expert_obs, _, _ = generate(expert_controller, expert_episodes, seed + 10_000)
    total_steps = sum(len(o) for o in play_obs + expert_obs)
    labelled_episodes = max(1, round(labelled_fraction * total_steps / len(play_obs[0])))
    if labelled_episodes > play_episodes:
        raise ValueError(f"{labelled_fraction:.0%} labelled needs {labelled_episodes} play episodes")
    expert = ObservationEpisodes.from_arrays(expert_obs)
    return CLAMData(
        labelled=LabelledEpisodes.from_arrays(play_obs[:labelled_episodes], play_act[:labelled_episodes]),
        unlabelled=concat_observations([ObservationEpisodes.from_arrays(play_obs), expert]),
        expert=expert,
    )


def evaluate_policy(
    act: Callable[[np.ndarray], np.ndarray],
    reset: Callable[[], None],
    episodes: int,
    seed: int,
    cfg: PointMassConfig | None = None,
) -> float:
    """Closed-loop success rate of an agent (`act(obs) -> action`, `reset()` between episodes)."""
    env = PointMassEnv(cfg)
    successes = 0
    for episode in range(episodes):
        obs = env.reset(seed + episode)
        reset()
        reached = False
        for _ in range(env.cfg.episode_length - 1):
            obs, reached = env.step(act(obs))
        successes += reached
    return successes / episodes
