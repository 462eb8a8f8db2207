"""The arm driver's logic: every command through the safety filter, a latching e-stop, torque, hold on
stale commands, and go-home / go-to-sleep moves streamed through the same filter."""

from __future__ import annotations

import numpy as np

from clam_ros.arm_backends import ArmBackend
from clam_ros.safety import SafetyFilter, SafetyLimits


class ArmDriver:
    def __init__(
        self, backend: ArmBackend, limits: SafetyLimits, control_period: float, stale_after: float
    ) -> None:
        self.backend = backend
        self.filter = SafetyFilter(limits, stale_after)
        self.control_period = control_period
        self.estop_engaged = False
        self.torque_enabled = True
        self.holding = False
        self._goal: np.ndarray | None = None
        self._goal_name = ""
        self._next_goal_step = 0.0
        self.last_verdict = "none yet"
        self.hold()

    @property
    def moving_to(self) -> str:
        return self._goal_name if self._goal is not None else ""

    def hold(self) -> None:
        """Stop where the arm is: the measured position becomes the target."""
        positions, _ = self.backend.read()
        self.backend.write(self.filter.reset(positions))
        self.holding = True

    def command(self, values: object, now: float) -> str:
        """A streamed joint command (6 joints + gripper); returns what happened to it."""
        if self.estop_engaged:
            self.last_verdict = "blocked: e-stop engaged"
        elif not self.torque_enabled:
            self.last_verdict = "blocked: torque is off"
        elif self._goal is not None:
            self.last_verdict = f"blocked: moving to {self._goal_name}"
        else:
            verdict = self.filter.check(values, now)
            if verdict.target is not None:
                self.backend.write(verdict.target)
                self.holding = False
            self.last_verdict = verdict.reason
        return self.last_verdict

    def tick(self, now: float) -> None:
        """Called at the driver's rate: advances go-home/sleep moves and holds when commands went stale."""
        if self._goal is not None:
            if now >= self._next_goal_step:
                self._next_goal_step = now + self.control_period
                verdict = self.filter.check(self._goal, now)
                self.backend.write(verdict.target)
                if np.allclose(verdict.target, self._goal):
                    self._goal = None
        elif not self.holding and self.filter.is_stale(now):
            self.hold()

    def move_to(self, name: str, target: np.ndarray) -> tuple[bool, str]:
        if self.estop_engaged:
            return False, "refused: e-stop engaged"
        if not self.torque_enabled:
            return False, "refused: torque is off"
        self.hold()
        self._goal, self._goal_name, self._next_goal_step = np.asarray(target, float), name, 0.0
        self.holding = False
        return True, f"moving to {name}"

    def engage_estop(self) -> None:
        self.estop_engaged = True
        self._goal = None
        self.hold()

    def release_estop(self) -> None:
        self.estop_engaged = False
        self.hold()

    def set_torque(self, enabled: bool) -> None:
        self._goal = None
        self.backend.set_torque(enabled)
        self.torque_enabled = enabled
        self.hold()
