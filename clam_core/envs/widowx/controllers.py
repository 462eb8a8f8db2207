"""Scripted controllers for the twin: one expert per task and a task-agnostic play controller.

Both steer the gripper through Cartesian waypoints, top-down, moving the commanded point at most
`max_speed` per control step and solving IK from the previous command, so paths are straight lines rather
than joint-space sweeps through the furniture. They read object poses from the simulation (privileged
information, as MetaWorld's scripted policies do) and output the env's action: 6 joint targets + gripper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clam_core.envs.widowx.env import START_GRIPPER, START_POSE, WidowXKitchenEnv
from clam_core.envs.widowx.kinematics import (
    FINGER_LOWER,
    FINGER_UPPER,
    forward_kinematics,
    inverse_kinematics,
    top_down_pose,
)
from clam_core.envs.widowx.scene import BLOCK_HALF, DOOR_LENGTH, POT_RADIUS
from clam_core.keys import STATE_KEY

OPEN, CLOSED = FINGER_UPPER, FINGER_LOWER


@dataclass
class Waypoint:
    position: np.ndarray
    gripper: float
    yaw: float | None = None  # None: face the waypoint from the base
    hold: int = 0  # extra steps to stay once reached (e.g. while the fingers close)
    tolerance: float = 0.01
    timeout: int = 25


def natural_yaw(position: np.ndarray) -> float:
    return float(np.arctan2(position[1], position[0]))


def grasp_yaw(block_yaw: float, position: np.ndarray) -> float:
    """Yaw putting the fingers across two faces of the block, closest to the arm's natural yaw."""
    natural = natural_yaw(position)
    offset = (block_yaw - natural + np.pi / 4) % (np.pi / 2) - np.pi / 4
    return natural + offset


class WaypointFollower:
    def __init__(self, env: WidowXKitchenEnv, max_speed: float = 0.04) -> None:
        self.env = env
        self.max_speed = max_speed
        self.waypoints: list[Waypoint] = []
        self.reset()

    def reset(self) -> None:
        self._q_command = START_POSE.copy()
        self._point = forward_kinematics(START_POSE)[:3, 3]
        self._yaw = 0.0
        self._gripper = START_GRIPPER
        self._index = 0
        self._steps_here = 0
        self._held = 0

    @property
    def done(self) -> bool:
        return self._index >= len(self.waypoints)

    def _advance(self, ee: np.ndarray) -> None:
        waypoint = self.waypoints[self._index]
        arrived = np.allclose(self._point, waypoint.position) and np.linalg.norm(ee - waypoint.position) < (
            waypoint.tolerance
        )
        if arrived:
            self._held += 1
        if (arrived and self._held > waypoint.hold) or self._steps_here >= waypoint.timeout:
            self._index += 1
            self._steps_here, self._held = 0, 0

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        q = np.asarray(observation[STATE_KEY][:6], dtype=float)
        ee = forward_kinematics(q)[:3, 3]
        if not self.done:
            self._advance(ee)
        if not self.done:
            waypoint = self.waypoints[self._index]
            self._steps_here += 1
            step = waypoint.position - self._point
            distance = np.linalg.norm(step)
            if distance > self.max_speed:
                step *= self.max_speed / distance
            self._point = self._point + step
            self._yaw = natural_yaw(self._point) if waypoint.yaw is None else waypoint.yaw
            self._gripper = waypoint.gripper
            self._q_command, _ = inverse_kinematics(top_down_pose(self._point, self._yaw), self._q_command)
        return np.append(self._q_command, self._gripper).astype(np.float32)


class ScriptedExpert(WaypointFollower):
    """Plans the task's waypoints from the object poses at the first call after `reset`."""

    def __init__(self, env: WidowXKitchenEnv, task: str | None = None, max_speed: float = 0.04) -> None:
        self.task = task or env.task
        super().__init__(env, max_speed)

    def reset(self) -> None:
        super().reset()
        self.waypoints = []
        self._planned = False

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        if not self._planned:
            self.waypoints = getattr(self, f"_plan_{self.task}")()
            self._planned = True
        return super().act(observation)

    def _plan_block(self) -> list[Waypoint]:
        block = self.env.state.position("block")
        return [Waypoint(block + [0, 0, 0.10], OPEN), Waypoint(block + [0, 0, 0.035], OPEN, hold=30)]

    def _plan_button(self) -> list[Waypoint]:
        button = self.env.state.position("button")
        return [
            Waypoint(button + [0, 0, 0.08], CLOSED),
            Waypoint(button + [0, 0, 0.0], CLOSED, hold=3, timeout=10),
            Waypoint(button + [0, 0, 0.08], CLOSED),
        ]

    def _plan_microwave(self) -> list[Waypoint]:
        state = self.env.state
        hinge = state.position("door_hinge")
        angle = state.door_angle
        radius, clearance, height = 0.75 * DOOR_LENGTH, 0.03, 0.06

        def pusher(phi: float, z: float) -> np.ndarray:
            along = np.array([-np.cos(phi), np.sin(phi), 0.0])  # the door, from the hinge outwards
            outside = np.array([np.sin(phi), np.cos(phi), 0.0])  # the face that closing pushes on
            return hinge + radius * along + clearance * outside + [0, 0, z - hinge[2]]

        approach = [Waypoint(pusher(angle, height + 0.1), CLOSED), Waypoint(pusher(angle, height), CLOSED)]
        sweep = [
            Waypoint(pusher(phi, height), CLOSED, tolerance=0.02, timeout=8)
            for phi in np.linspace(angle, -0.15, 8)[1:]
        ]
        return approach + sweep + [Waypoint(pusher(-0.15, height + 0.1), CLOSED)]

    def _plan_slide_pot(self) -> list[Waypoint]:
        state = self.env.state
        block, pot = state.position("block"), state.position("pot")
        yaw = grasp_yaw(state.yaw("block"), block)
        grasp_height = BLOCK_HALF - 0.004
        push_from = pot + [0.0, POT_RADIUS + 0.03, 0.0]
        return [
            Waypoint(block + [0, 0, 0.08], OPEN, yaw=yaw),
            Waypoint([block[0], block[1], grasp_height], OPEN, yaw=yaw, tolerance=0.008),
            Waypoint([block[0], block[1], grasp_height], CLOSED, yaw=yaw, hold=3, tolerance=0.015),
            Waypoint(block + [0, 0, 0.10], CLOSED, yaw=yaw, tolerance=0.02),
            Waypoint(pot + [0, 0, 0.10], CLOSED, yaw=yaw, tolerance=0.015),
            Waypoint(pot + [0, 0, 0.07], CLOSED, yaw=yaw, tolerance=0.015),
            Waypoint(pot + [0, 0, 0.07], OPEN, yaw=yaw, hold=3, tolerance=0.02),
            Waypoint(push_from + [0, 0, 0.10], CLOSED),
            Waypoint(push_from + [0, 0, 0.025], CLOSED),
            Waypoint(push_from + [0, -0.12, 0.025], CLOSED, tolerance=0.02, timeout=15),
            Waypoint(push_from + [0, -0.12, 0.10], CLOSED),
        ]


PLAY_OBJECTS = ("block", "pot", "stove", "microwave", "cup", "plate")
OBJECT_TOPS = {"block": 0.024, "pot": 0.035, "stove": 0.056, "microwave": 0.10, "cup": 0.06, "plate": 0.008}


class PlayController(WaypointFollower):
    """Task-agnostic play: a stream of random object-directed primitives (touch, push, grasp-and-move,
    nudge the door, wander) with jittered waypoints and noisy joint targets, so the recorded data covers the
    state-action space around every object without solving anything on purpose."""

    def __init__(self, env: WidowXKitchenEnv, seed: int = 0, joint_noise: float = 0.03) -> None:
        self.rng = np.random.default_rng(seed)
        self.joint_noise = joint_noise
        super().__init__(env, max_speed=0.05)

    def reset(self) -> None:
        super().reset()
        self.waypoints = []

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        if self.done or not self.waypoints:
            self.waypoints = self._primitive()
            self._index, self._steps_here, self._held = 0, 0, 0
        action = super().act(observation)
        action[:6] += self.rng.normal(0.0, self.joint_noise, 6)
        return action

    def _jitter(self, scale: float) -> np.ndarray:
        return np.append(self.rng.uniform(-scale, scale, 2), 0.0)

    def _target(self, name: str) -> np.ndarray:
        position = self.env.state.position("door_hinge" if name == "microwave" else name)
        if name == "microwave":  # somewhere along the door or on the microwave's roof
            position = position + [-self.rng.uniform(0.02, 0.1), self.rng.uniform(0.0, 0.08), 0.0]
        position = position.copy()
        position[2] = OBJECT_TOPS[name]
        return position

    def _primitive(self) -> list[Waypoint]:
        rng = self.rng
        gripper = float(rng.uniform(CLOSED, OPEN))
        kind = rng.choice(["touch", "push", "grasp", "wander"], p=[0.35, 0.25, 0.2, 0.2])
        name = PLAY_OBJECTS[rng.integers(len(PLAY_OBJECTS))]
        top = self._target(name) + self._jitter(0.015)
        above = top + [0, 0, rng.uniform(0.05, 0.12)]
        if kind == "touch":
            return [
                Waypoint(above, gripper),
                Waypoint(top - [0, 0, 0.012], gripper, hold=1, timeout=8),
                Waypoint(above, gripper),
            ]
        if kind == "push":
            heading = rng.uniform(-np.pi, np.pi)
            direction = np.array([np.cos(heading), np.sin(heading), 0.0])
            low = top - [0, 0, 0.6 * top[2]] - 0.05 * direction
            return [
                Waypoint(low + [0, 0, 0.1], CLOSED),
                Waypoint(low, CLOSED, timeout=8),
                Waypoint(low + rng.uniform(0.06, 0.12) * direction, CLOSED, tolerance=0.03, timeout=8),
                Waypoint(low + [0, 0, 0.1], CLOSED),
            ]
        if kind == "grasp":
            drop = np.array([rng.uniform(0.15, 0.38), rng.uniform(-0.12, 0.18), rng.uniform(0.04, 0.12)])
            low = top - [0, 0, min(0.02, top[2] - 0.006)]
            return [
                Waypoint(above, OPEN),
                Waypoint(low, OPEN, timeout=8),
                Waypoint(low, CLOSED, hold=2, tolerance=0.02),
                Waypoint(above, CLOSED, tolerance=0.02),
                Waypoint(drop, CLOSED, tolerance=0.02),
                Waypoint(drop, OPEN, hold=1, tolerance=0.03),
            ]
        wander = np.array([rng.uniform(0.12, 0.4), rng.uniform(-0.2, 0.25), rng.uniform(0.03, 0.2)])
        return [Waypoint(wander, gripper, tolerance=0.02)]


class RandomController:
    """Random exploration: every command moves each joint target by U(-max_step, max_step) rad from the
    current joint state and sets a uniformly random gripper opening (a random walk, the usual 'random
    policy' for a position-controlled arm)."""

    def __init__(self, env: WidowXKitchenEnv, seed: int = 0, max_step: float = 0.25) -> None:
        self.env = env
        self.rng = np.random.default_rng(seed)
        self.max_step = max_step

    def reset(self) -> None:
        """Stateless between episodes; present so every controller can be reset alike."""

    def act(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        low, high = self.env.action_space.low, self.env.action_space.high
        q = np.asarray(observation[STATE_KEY][:6], dtype=float)
        target = q + self.rng.uniform(-self.max_step, self.max_step, 6)
        action = np.append(target, self.rng.uniform(low[6], high[6]))
        return np.clip(action, low, high).astype(np.float32)
