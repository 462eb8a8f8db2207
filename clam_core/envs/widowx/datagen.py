"""Record episodes in the twin with a scripted controller (state and actions; images on request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from clam_core.envs.widowx.controllers import PlayController, ScriptedExpert
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.keys import IMAGE_KEY_PREFIX, STATE_KEY

CONTROLLERS: dict[str, Callable[[WidowXKitchenEnv, int], object]] = {
    "play": lambda env, seed: PlayController(env, seed=seed),
    "expert": lambda env, seed: ScriptedExpert(env),
}


@dataclass
class Episode:
    states: np.ndarray  # [T, 7]
    actions: np.ndarray  # [T, 7]; actions[t] is commanded after states[t]
    images: dict[str, np.ndarray] = field(default_factory=dict)  # camera -> [T, H, W, 3] uint8
    success: bool = False


def record_episode(env: WidowXKitchenEnv, controller: str, seed: int, length: int | None = None) -> Episode:
    if controller not in CONTROLLERS:
        raise ValueError(f"unknown controller {controller!r}; choose one of {tuple(CONTROLLERS)}")
    policy = CONTROLLERS[controller](env, seed)
    obs, info = env.reset(seed=seed)
    frames: list[dict[str, np.ndarray]] = [obs]
    actions = []
    for _ in range((length or env.episode_length) - 1):
        action = policy.act(obs)
        obs, _, _, _, info = env.step(action)
        actions.append(action)
        frames.append(obs)
    actions.append(actions[-1])  # every frame carries an action; the last one is never executed
    images = {
        key[len(IMAGE_KEY_PREFIX) :]: np.stack([f[key] for f in frames])
        for key in frames[0]
        if key.startswith(IMAGE_KEY_PREFIX)
    }
    return Episode(
        np.stack([f[STATE_KEY] for f in frames]),
        np.asarray(actions, np.float32),
        images,
        bool(info["success"]),
    )
