"""The safety filter every joint command passes before it reaches the arm.

It rejects commands that are not 7 finite numbers, clips targets to the joint and gripper limits, and bounds
how far any target may move from the previous one in a single command (the joint velocity limit times the
control period). The arm driver also asks it whether commands have gone stale, and holds when they have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clam_core.envs.widowx.kinematics import (
    FINGER_LOWER,
    FINGER_UPPER,
    JOINT_LOWER,
    JOINT_UPPER,
    JOINT_VELOCITY_LIMIT,
)

COMMAND_SIZE = 7  # 6 arm joints + gripper


@dataclass(frozen=True)
class SafetyLimits:
    lower: np.ndarray
    upper: np.ndarray
    max_step: np.ndarray  # per command, per joint

    @classmethod
    def wx250s(cls, control_rate: float) -> SafetyLimits:
        if control_rate <= 0:
            raise ValueError(f"control_rate must be positive, got {control_rate}")
        arm_step = np.full(6, JOINT_VELOCITY_LIMIT / control_rate)
        return cls(
            lower=np.append(JOINT_LOWER, FINGER_LOWER),
            upper=np.append(JOINT_UPPER, FINGER_UPPER),
            max_step=np.append(arm_step, FINGER_UPPER - FINGER_LOWER),
        )


@dataclass(frozen=True)
class Verdict:
    target: np.ndarray | None  # what may be sent to the arm; None when the command was rejected
    reason: str  # "ok", "clipped" or why it was rejected


class SafetyFilter:
    def __init__(self, limits: SafetyLimits, stale_after: float) -> None:
        self.limits = limits
        self.stale_after = stale_after
        self._previous: np.ndarray | None = None
        self._last_accepted: float | None = None

    def reset(self, measured: np.ndarray) -> np.ndarray:
        """Restart from the measured position (after a hold, e-stop or torque change); returns the target."""
        self._previous = np.clip(np.asarray(measured, dtype=np.float64), self.limits.lower, self.limits.upper)
        self._last_accepted = None
        return self._previous.copy()

    @property
    def previous_target(self) -> np.ndarray | None:
        return None if self._previous is None else self._previous.copy()

    def check(self, command: object, now: float) -> Verdict:
        try:
            values = np.asarray(command, dtype=np.float64)
        except (TypeError, ValueError):
            return Verdict(None, "rejected: not numeric")
        if values.shape != (COMMAND_SIZE,):
            return Verdict(None, f"rejected: expected {COMMAND_SIZE} values, got shape {values.shape}")
        if not np.all(np.isfinite(values)):
            return Verdict(None, "rejected: NaN or inf")
        if self._previous is None:
            return Verdict(None, "rejected: no measured position yet")
        target = np.clip(values, self.limits.lower, self.limits.upper)
        step = np.clip(target - self._previous, -self.limits.max_step, self.limits.max_step)
        target = np.clip(self._previous + step, self.limits.lower, self.limits.upper)
        reason = "ok" if np.allclose(target, values) else "clipped"
        self._previous = target
        self._last_accepted = now
        return Verdict(target.copy(), reason)

    def is_stale(self, now: float) -> bool:
        """True when no command was accepted for `stale_after` seconds (or at all since the last reset)."""
        return self._last_accepted is None or now - self._last_accepted > self.stale_after
