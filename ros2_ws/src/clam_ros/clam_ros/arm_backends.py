"""Arm backends behind the driver: the kitchen twin (MuJoCo) and the real arm through Interbotix's API.

Values are 7-vectors: 6 joints [rad] + gripper finger position [m].
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.envs.widowx.kinematics import FINGER_LOWER, FINGER_UPPER, JOINT_NAMES, SLEEP_POSE

GRIPPER_NAME = "gripper"
STATE_NAMES = (*JOINT_NAMES, GRIPPER_NAME)


class BackendUnavailable(RuntimeError):
    """The selected backend cannot run on this machine (missing package or device)."""


class ArmBackend(Protocol):
    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """Measured positions and velocities (7 each)."""

    def write(self, target: np.ndarray) -> None:
        """Stream a (filtered) target; must not block."""

    def set_torque(self, enabled: bool) -> None: ...

    def advance(self, seconds: float) -> None:
        """Let `seconds` of robot time pass (simulates in the twin; nothing on hardware)."""

    def close(self) -> None: ...


class TwinArm:
    """The arm of the MuJoCo kitchen twin, simulated in real time by the driver's timer."""

    def __init__(self, task: str = "microwave", seed: int = 0) -> None:
        self.env = WidowXKitchenEnv(task, cameras=())
        self.seed = seed
        self.env.reset(seed=seed)

    def reset_scene(self) -> int:
        """A new layout of the kitchen (the next seed) with the arm at its start pose; returns the seed."""
        self.seed += 1
        self.env.reset(seed=self.seed)
        return self.seed

    def task_status(self) -> dict[str, bool]:
        """The twin's success detectors, latched since the last scene reset."""
        info = self.env.task_status()
        return {"success": bool(info["success"]), "partial_success": bool(info["partial_success"])}

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        return self.env.joint_state().astype(np.float64), self.env.joint_velocity()

    def write(self, target: np.ndarray) -> None:
        self.env.command(target[:6], float(target[6]))

    def set_torque(self, enabled: bool) -> None:
        self.env.set_actuation(enabled)

    def advance(self, seconds: float) -> None:
        self.env.advance(seconds)

    def snapshot(self) -> np.ndarray:
        return self.env.snapshot()

    def close(self) -> None:
        self.env.close()


class InterbotixArm:
    """The real wx250s through `interbotix_xs_modules` (imported only when this backend is chosen).

    Targets are streamed with `blocking=False` and a moving time of one control period, so the SDK neither
    blocks for its 2 s default nor rejects 5 Hz steps (DESIGN.md §5).
    """

    def __init__(self, robot_model: str, robot_name: str, moving_time: float) -> None:
        try:
            from interbotix_xs_modules.xs_robot.arm import InterbotixManipulatorXS
        except ImportError as error:
            raise BackendUnavailable(
                "backend 'interbotix' needs the Interbotix X-series ROS 2 packages (interbotix_xs_modules); "
                "run it in the robot Docker image or install interbotix_ros_manipulators, or use backend:=sim"
            ) from error
        self.bot = InterbotixManipulatorXS(
            robot_model=robot_model, robot_name=robot_name, group_name="arm", gripper_name="gripper"
        )
        self.moving_time = moving_time
        self._gripper_closed: bool | None = None

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        states = self.bot.core.joint_states
        index = {name: i for i, name in enumerate(states.name)}
        names = (*JOINT_NAMES, "left_finger")
        positions = np.array([states.position[index[n]] for n in names])
        velocities = np.array([states.velocity[index[n]] if states.velocity else 0.0 for n in names])
        return positions, velocities

    def write(self, target: np.ndarray) -> None:
        self.bot.arm.set_joint_positions(
            list(map(float, target[:6])),
            moving_time=self.moving_time,
            accel_time=self.moving_time / 4,
            blocking=False,
        )
        close = target[6] < (FINGER_LOWER + FINGER_UPPER) / 2  # the stock gripper runs open/closed in PWM
        if close != self._gripper_closed:
            (self.bot.gripper.grasp if close else self.bot.gripper.release)(delay=0.0)
            self._gripper_closed = close

    def set_torque(self, enabled: bool) -> None:
        self.bot.core.robot_torque_enable("group", "all", enabled)

    def advance(self, seconds: float) -> None:
        """The real arm moves on its own."""

    def close(self) -> None:
        self.bot.shutdown()


def home_target(gripper: float = FINGER_UPPER) -> np.ndarray:
    return np.append(np.zeros(6), gripper)


def sleep_target(gripper: float = FINGER_LOWER) -> np.ndarray:
    return np.append(SLEEP_POSE, gripper)
