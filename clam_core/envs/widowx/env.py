"""Gymnasium environment of the WidowX kitchen twin.

Observation: `observation.state` (6 arm joints [rad] + left finger position [m]), one uint8 HxWx3 image per
camera under `observation.images.<camera>`, and optionally `observation.environment_state` (object poses).
Action: 6 joint targets [rad] + a gripper command (finger position [m]), applied at `control_hz` (5 Hz) over
physics substeps. Targets are clipped to the joint limits and approached at no more than the arm's joint
velocity limit, as the real servos would.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np

from clam_core.envs.widowx import tasks
from clam_core.envs.widowx.kinematics import (
    FINGER_LOWER,
    FINGER_UPPER,
    JOINT_LOWER,
    JOINT_NAMES,
    JOINT_UPPER,
    JOINT_VELOCITY_LIMIT,
    inverse_kinematics,
    top_down_pose,
)
from clam_core.envs.widowx.scene import CAMERAS, kitchen_xml
from clam_core.keys import IMAGE_KEY_PREFIX, STATE_KEY

ENV_STATE_KEY = "observation.environment_state"
SETPOINT_UPDATES = 10  # the joint setpoints ramp in this many pieces per control period
START_GRIPPER = FINGER_UPPER
FURNITURE = ("stove", "plate", "microwave")  # fixed bodies whose placement is randomised in the model


def _start_pose() -> np.ndarray:
    """Gripper pointing down above the middle of the table."""
    q, _ = inverse_kinematics(
        top_down_pose(np.array([0.2, 0.0, 0.16]), 0.0), seed=np.array([0.0, -0.5, 0.5, 0.0, 1.0, 0.0])
    )
    return q


START_POSE = _start_pose()


class WidowXKitchenEnv(gym.Env):
    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 5}

    def __init__(
        self,
        task: str = "microwave",
        image_size: int | tuple[int, int] = 128,
        cameras: tuple[str, ...] = ("external", "shoulder"),
        object_state: bool = False,
        control_hz: float = 5.0,
        episode_length: int = 100,
    ) -> None:
        if task not in tasks.TASKS:
            raise ValueError(f"unknown task {task!r}; choose one of {tasks.TASKS}")
        unknown = [c for c in cameras if c not in CAMERAS]
        if unknown:
            raise ValueError(f"unknown cameras {unknown}; choose from {tuple(CAMERAS)}")
        self.task = task
        self.height, self.width = (image_size, image_size) if isinstance(image_size, int) else image_size
        self.cameras = tuple(cameras)
        self.object_state = object_state
        self.episode_length = episode_length
        self.model = mujoco.MjModel.from_xml_string(kitchen_xml(self.width, self.height))
        self.data = mujoco.MjData(self.model)
        self.state = tasks.KitchenState(self.model, self.data)
        self.control_period = 1.0 / control_hz
        self.substeps = max(1, round(self.control_period / self.model.opt.timestep))
        if self.substeps % SETPOINT_UPDATES:
            raise ValueError(f"{self.substeps} substeps per control period must divide by {SETPOINT_UPDATES}")
        self._arm_qpos = np.array([self.model.joint(n).qposadr[0] for n in JOINT_NAMES])
        self._finger_qpos = self.model.joint("left_finger").qposadr[0]
        self._arm_dofs = np.array([self.model.joint(n).dofadr[0] for n in JOINT_NAMES])
        self._finger_dof = self.model.joint("left_finger").dofadr[0]
        self._arm_act = np.array([self.model.actuator(n).id for n in JOINT_NAMES])
        self._finger_act = np.array([self.model.actuator(f"{s}_finger").id for s in ("left", "right")])
        self._renderer: mujoco.Renderer | None = None
        self._ramp_start = np.zeros(6)
        self._ramp_delta = np.zeros(6)
        self._ramp_time = 0.0
        self._steps = 0
        self._latched = tasks.TaskStatus(False, False)
        self._initial: dict[str, Any] = {}

        self.action_space = gym.spaces.Box(
            np.append(JOINT_LOWER, FINGER_LOWER).astype(np.float32),
            np.append(JOINT_UPPER, FINGER_UPPER).astype(np.float32),
        )
        spaces: dict[str, gym.Space] = {
            STATE_KEY: gym.spaces.Box(self.action_space.low, self.action_space.high, dtype=np.float32)
        }
        for camera in self.cameras:
            spaces[IMAGE_KEY_PREFIX + camera] = gym.spaces.Box(0, 255, (self.height, self.width, 3), np.uint8)
        if object_state:
            spaces[ENV_STATE_KEY] = gym.spaces.Box(-np.inf, np.inf, (len(self._object_state()),), np.float32)
        self.observation_space = gym.spaces.Dict(spaces)

    # ----------------------------------------------------------------------------------------- simulation
    def _object_state(self) -> np.ndarray:
        state = self.state
        parts = [state.position(b) for b in ("block", "pot", "stove", "microwave", "cup")]
        parts.append(np.array([state.yaw("block"), state.door_angle, state.button_displacement]))
        return np.concatenate(parts).astype(np.float32)

    def _randomise(self, rng: np.random.Generator) -> None:
        """Place objects within their regions, rejecting layouts whose footprints overlap."""
        footprints = {"block": 0.03, "pot": 0.055, "stove": 0.085, "cup": 0.03, "plate": 0.055}
        regions = {
            "block": tasks.BLOCK_REGION,
            "pot": tasks.POT_REGION,
            "stove": tasks.STOVE_REGION,
            "cup": tasks.CUP_REGION,
            "plate": tasks.PLATE_REGION,
        }
        while True:
            xy = {name: np.array([rng.uniform(*r[0]), rng.uniform(*r[1])]) for name, r in regions.items()}
            names = list(xy)
            if all(
                np.linalg.norm(xy[a] - xy[b]) > footprints[a] + footprints[b]
                for i, a in enumerate(names)
                for b in names[i + 1 :]
            ):
                break
        microwave = np.array(
            [rng.uniform(*tasks.MICROWAVE_REGION[0]), rng.uniform(*tasks.MICROWAVE_REGION[1])]
        )
        model, data = self.model, self.data
        for body in FURNITURE[:2]:  # the microwave is placed below, within its own region
            model.body_pos[model.body(body).id][:2] = xy[body]
        model.body_pos[model.body("microwave").id][:2] = microwave
        for body in ("block", "pot", "cup"):
            address = model.joint(body).qposadr[0]
            data.qpos[address : address + 2] = xy[body]
            yaw = rng.uniform(-np.pi, np.pi) if body == "block" else 0.0
            data.qpos[address + 3 : address + 7] = [np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)]
        data.qpos[model.joint("door").qposadr[0]] = rng.uniform(*tasks.DOOR_ANGLE_RANGE)

    def command(self, arm_target: np.ndarray, gripper: float) -> None:
        """New joint targets (clipped to the limits) and gripper command, reached by `advance`."""
        # Ramp from where the joints are (not from the last setpoint), so a lagging or blocked joint never
        # has motion queued up: travel stays within the velocity limit.
        self._ramp_start = self.data.qpos[self._arm_qpos].copy()
        self._ramp_delta = np.clip(arm_target, JOINT_LOWER, JOINT_UPPER) - self._ramp_start
        self._ramp_time = 0.0
        self.data.ctrl[self._finger_act] = np.clip(gripper, FINGER_LOWER, FINGER_UPPER)

    def advance(self, seconds: float) -> None:
        """Simulate `seconds`, moving the arm setpoints towards the target at the joint velocity limit."""
        timestep = self.model.opt.timestep
        remaining = max(1, round(seconds / timestep))
        chunk = self.substeps // SETPOINT_UPDATES
        while remaining > 0:
            steps = min(chunk, remaining)
            self._ramp_time += steps * timestep
            reach = JOINT_VELOCITY_LIMIT * self._ramp_time
            self.data.ctrl[self._arm_act] = self._ramp_start + np.clip(self._ramp_delta, -reach, reach)
            mujoco.mj_step(self.model, self.data, nstep=steps)
            remaining -= steps
        # mj_step leaves poses and contacts at the start of its last step: bring them up to the new state
        # so detectors and renders see exactly the state that is observed.
        mujoco.mj_forward(self.model, self.data)

    def snapshot(self) -> np.ndarray:
        """Everything a replica needs to draw this scene: the furniture layout, then all joint positions."""
        layout = [self.model.body_pos[self.model.body(b).id][:2] for b in FURNITURE]
        return np.concatenate([*layout, self.data.qpos]).astype(np.float64)

    def restore(self, snapshot: np.ndarray) -> None:
        """Show `snapshot` (from `snapshot()` of a twin of the same build): kinematics only, no dynamics."""
        snapshot = np.asarray(snapshot, dtype=np.float64)
        expected = 2 * len(FURNITURE) + self.model.nq
        if snapshot.shape != (expected,):
            raise ValueError(f"twin snapshot must have {expected} values, got {snapshot.shape}")
        for index, body in enumerate(FURNITURE):
            self.model.body_pos[self.model.body(body).id][:2] = snapshot[2 * index : 2 * index + 2]
        self.data.qpos[:] = snapshot[2 * len(FURNITURE) :]
        # Not mj_kinematics alone: cameras and lights are placed by mj_camlight, which mj_forward also runs.
        mujoco.mj_forward(self.model, self.data)

    def set_actuation(self, enabled: bool) -> None:
        """Torque on/off: with actuation off the servos go limp (gravity compensation keeps the arm up)."""
        flag = mujoco.mjtDisableBit.mjDSBL_ACTUATION
        if enabled:
            self.model.opt.disableflags &= ~int(flag)
        else:
            self.model.opt.disableflags |= int(flag)

    # ----------------------------------------------------------------------------------------- gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        self._randomise(self.np_random)
        self.data.qpos[self._arm_qpos] = START_POSE
        self.data.qpos[self._finger_qpos : self._finger_qpos + 2] = START_GRIPPER
        self.data.ctrl[self._arm_act] = START_POSE
        self.data.ctrl[self._finger_act] = START_GRIPPER
        self.command(START_POSE, START_GRIPPER)
        mujoco.mj_forward(self.model, self.data)
        mujoco.mj_step(self.model, self.data, nstep=50)  # let objects settle on the table
        self._steps = 0
        self._initial = {"door_angle": self.state.door_angle, "pot_y": self.state.position("pot")[1]}
        self._latched = tasks.TaskStatus(False, False)
        return self._observation(), self._info(tasks.evaluate(self.task, self.state, self._initial))

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict]:
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (7,) or not np.all(np.isfinite(action)):
            raise ValueError(f"action must be 7 finite numbers, got {action!r}")
        action = np.clip(action, self.action_space.low, self.action_space.high)
        self.command(action[:6], float(action[6]))
        self.advance(self.control_period)
        self._steps += 1
        status = tasks.evaluate(self.task, self.state, self._initial)
        info = self._info(status)
        truncated = self._steps >= self.episode_length
        return self._observation(), float(status.success), False, truncated, info

    def task_status(self) -> dict[str, Any]:
        """Success and partial success of the current state, latched since the last reset (as in `info`)."""
        return self._info(tasks.evaluate(self.task, self.state, self._initial))

    def _info(self, status: tasks.TaskStatus) -> dict[str, Any]:
        self._latched = tasks.TaskStatus(
            self._latched.success or status.success, self._latched.partial or status.partial or status.success
        )
        return {
            "success": self._latched.success,
            "partial_success": self._latched.partial,
            "success_now": status.success,
            "step": self._steps,
        }

    def joint_velocity(self) -> np.ndarray:
        return np.append(self.data.qvel[self._arm_dofs], self.data.qvel[self._finger_dof])

    def joint_state(self) -> np.ndarray:
        return np.append(self.data.qpos[self._arm_qpos], self.data.qpos[self._finger_qpos]).astype(np.float32)

    def _observation(self) -> dict[str, np.ndarray]:
        obs = {STATE_KEY: self.joint_state()}
        for camera in self.cameras:
            obs[IMAGE_KEY_PREFIX + camera] = self.render_camera(camera)
        if self.object_state:
            obs[ENV_STATE_KEY] = self._object_state()
        return obs

    def render_camera(self, camera: str) -> np.ndarray:
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, self.height, self.width)
            self._renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
            self._renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self._renderer.update_scene(self.data, camera=camera)
        return self._renderer.render().copy()

    def render(self) -> np.ndarray:
        return self.render_camera(self.cameras[0] if self.cameras else "external")

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
