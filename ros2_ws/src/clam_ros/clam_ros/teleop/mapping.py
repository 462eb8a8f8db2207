"""Clutch-style relative teleoperation, as in the BridgeData WidowX teleop: while the grip is held, the
controller's motion since the grip was pressed moves the gripper from where it was at that moment.

WebXR reports poses in a right-handed frame with x right, y up and z towards the user; the robot base frame
has x forward, y left, z up. Targets are kept inside a workspace box, their position changes by at most
`max_speed` per second, and IK (the wx250s PoE model) turns them into joint commands that still go through
the arm driver's safety filter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clam_core.envs.widowx.kinematics import (
    FINGER_LOWER,
    FINGER_UPPER,
    forward_kinematics,
    inverse_kinematics,
)

# Columns: where WebXR's x, y, z axes point in the robot frame.
XR_TO_ROBOT = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def quaternion_matrix(xyzw: np.ndarray) -> np.ndarray:
    x, y, z, w = np.asarray(xyzw, float) / np.linalg.norm(xyzw)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


@dataclass
class ControllerSample:
    position: np.ndarray  # [3] in the WebXR reference space (m)
    orientation: np.ndarray  # [4] quaternion x, y, z, w
    grip: bool  # clutch: held = engaged
    trigger: float  # 0 (open) .. 1 (closed)
    stamp: float  # seconds, the headset's clock


@dataclass
class Workspace:
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def wx250s_table(cls) -> Workspace:
        return cls(np.array([0.10, -0.35, 0.01]), np.array([0.50, 0.35, 0.40]))


def gripper_command(trigger: float) -> float:
    return float(FINGER_UPPER - np.clip(trigger, 0.0, 1.0) * (FINGER_UPPER - FINGER_LOWER))


class ClutchTeleop:
    def __init__(
        self, workspace: Workspace | None = None, max_speed: float = 0.25, scale: float = 1.0
    ) -> None:
        self.workspace = workspace or Workspace.wx250s_table()
        self.max_speed = max_speed
        self.scale = scale
        self._reference: tuple[np.ndarray, np.ndarray, np.ndarray] | None = (
            None  # controller pos, rot, ee pose
        )
        self._last_target: tuple[np.ndarray, float] | None = None
        self._hold: np.ndarray | None = None  # arm joints commanded while the clutch is released

    @property
    def engaged(self) -> bool:
        return self._reference is not None

    def release(self) -> None:
        """Forget everything (new headset session, or it went quiet): the next sample starts afresh from
        wherever the arm is then."""
        self._reference, self._last_target, self._hold = None, None, None

    def command(
        self, sample: ControllerSample, joints: np.ndarray, now: float, press: ControllerSample | None = None
    ) -> np.ndarray:
        """Joint command (6 joints + gripper) for this sample. `press` is the sample in which the grip was
        pressed (see `GripPress`): the controller's reference pose, even when this call comes later.
        While the clutch is released the arm holds its last commanded pose (where it was, at first), so the
        command stream, and the recorded actions, never pause; the trigger drives the gripper either way."""
        q = np.asarray(joints[:6], float)
        gripper = gripper_command(sample.trigger)
        if not sample.grip:
            self._reference, self._last_target = None, None
            if self._hold is None:
                self._hold = q.copy()
            return np.append(self._hold, gripper)
        if self._reference is None:  # grip pressed: the controller's pose at the press, the arm's now
            pressed = press or sample
            self._reference = (
                np.asarray(pressed.position, float),
                quaternion_matrix(pressed.orientation),
                forward_kinematics(q),
            )
        start_position, start_rotation, ee_start = self._reference
        shift = XR_TO_ROBOT @ (np.asarray(sample.position, float) - start_position) * self.scale
        turn_xr = quaternion_matrix(sample.orientation) @ start_rotation.T
        target = np.eye(4)
        target[:3, :3] = XR_TO_ROBOT @ turn_xr @ XR_TO_ROBOT.T @ ee_start[:3, :3]
        position = np.clip(ee_start[:3, 3] + shift, self.workspace.lower, self.workspace.upper)
        if self._last_target is not None:
            previous, then = self._last_target
            reach = self.max_speed * max(now - then, 0.0)
            step = position - previous
            if np.linalg.norm(step) > reach:
                position = previous + step * (reach / np.linalg.norm(step))
        self._last_target = (position, now)
        target[:3, 3] = position
        solution, _ = inverse_kinematics(target, q)
        self._hold = solution
        return np.append(solution, gripper)


class GripPress:
    """Remembers the sample in which the grip went down. The node samples the stream at its control rate,
    so the first held sample it happens to see can be later than the press; the reference pose must be the
    pose at the press, or the motion made in between is lost."""

    def __init__(self) -> None:
        self.press: ControllerSample | None = None
        self._held = False

    def update(self, sample: ControllerSample) -> ControllerSample | None:
        if sample.grip and not self._held:
            self.press = sample
        elif not sample.grip:
            self.press = None
        self._held = sample.grip
        return self.press
