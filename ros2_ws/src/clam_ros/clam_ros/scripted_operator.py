"""A scripted teleoperator for the twin: what a person with a headset does, done by a controller.

It mirrors the twin from `/twin/state` snapshots (the privileged view a person has of the scene), runs the
twin's play controller or scripted expert on the mirror, and streams its commands like the teleop node
does, through the arm driver's safety filter. Around each episode it does what the operator's buttons do:
reset the scene, start the recorder, and accept the episode after `episode_length` commands.

`ScriptedOperator.tick` is plain Python: it returns the command to publish and the service call to make;
the node makes the calls and reports their outcome back with `on_response`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clam_core.envs.widowx.datagen import CONTROLLERS
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.keys import STATE_KEY

RESET, START, ACCEPT = "reset_scene", "start", "accept"
SETTLE_TICKS = 3  # hold commands before starting, so the recorder sees the command stream
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class OperatorTick:
    command: np.ndarray | None
    request: str | None  # one of RESET, START, ACCEPT: the service to call now


class ScriptedOperator:
    def __init__(self, task: str, kind: str, episodes: int, episode_length: int, seed: int = 0) -> None:
        if kind not in CONTROLLERS:
            raise ValueError(f"unknown controller {kind!r}; choose one of {tuple(CONTROLLERS)}")
        if episodes < 1 or episode_length < 2:
            raise ValueError(f"need episodes >= 1 and episode_length >= 2, got {episodes}, {episode_length}")
        self.mirror = WidowXKitchenEnv(task, cameras=())
        self.controller = CONTROLLERS[kind](self.mirror, seed)
        self.episodes, self.episode_length = episodes, episode_length
        self.completed = 0
        self.phase = "reset"
        self.steps = 0
        self._pending: str | None = None
        self._retry_at = 0.0
        self._reset_done_at: float | None = None
        self._settle = 0
        self._hold: np.ndarray | None = None

    @property
    def done(self) -> bool:
        return self.phase == "done"

    def on_response(self, request: str, success: bool, now: float) -> None:
        self._pending = None
        if not success:
            self._retry_at = now + RETRY_SECONDS
            return
        if request == RESET:
            self.phase, self._reset_done_at, self._settle = "settle", now, 0
        elif request == START:
            self.phase, self.steps = "run", 0
        elif request == ACCEPT:
            self.completed += 1
            self.phase = "done" if self.completed >= self.episodes else "reset"

    def _request(self, name: str, now: float) -> str | None:
        if self._pending is not None or now < self._retry_at:
            return None
        self._pending = name
        return name

    def tick(
        self, now: float, snapshot: tuple[float, np.ndarray] | None, joints: np.ndarray | None
    ) -> OperatorTick:
        """`snapshot`: (arrival time, /twin/state values); `joints`: the latest measured joint state."""
        if self.phase == "done" or snapshot is None or joints is None:
            return OperatorTick(None, None)
        arrived, values = snapshot
        if self.phase == "reset":
            return OperatorTick(self._hold, self._request(RESET, now))
        if self.phase == "settle":
            if self._reset_done_at is None or arrived <= self._reset_done_at:
                return OperatorTick(None, None)  # wait for a snapshot of the new scene
            self.mirror.restore(values)
            if self._settle == 0:
                self.controller.reset()
                self._hold = np.asarray(joints, np.float64).copy()
            self._settle += 1
            if self._settle <= SETTLE_TICKS:
                return OperatorTick(self._hold, None)
            return OperatorTick(self._hold, self._request(START, now))
        if self.phase == "run":
            self.mirror.restore(values)
            command = np.asarray(self.controller.act({STATE_KEY: np.asarray(joints, np.float32)}), np.float64)
            self._hold = command
            self.steps += 1
            if self.steps >= self.episode_length:
                self.phase = "accept"
            return OperatorTick(command, None)
        return OperatorTick(self._hold, self._request(ACCEPT, now))  # phase "accept"
