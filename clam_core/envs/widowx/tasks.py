"""The paper's four real-robot tasks (Appendix F): randomisation regions and success detectors.

Success is latched over an episode by the environment ("solved at any step"); partial success likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from clam_core.envs.widowx.scene import BLOCK_HALF, POT_RADIUS, POT_WALL_HEIGHT

TASKS = ("block", "button", "microwave", "slide_pot")

# Randomisation regions, (x range, y range) on the table, and door angles (rad).
BLOCK_REGION = ((0.20, 0.30), (-0.06, 0.06))
POT_REGION = ((0.34, 0.40), (0.02, 0.10))
STOVE_REGION = ((0.19, 0.25), (0.19, 0.24))
MICROWAVE_REGION = ((0.25, 0.29), (-0.29, -0.26))
CUP_REGION = ((0.10, 0.15), (0.10, 0.16))
PLATE_REGION = ((0.38, 0.44), (0.17, 0.23))
DOOR_ANGLE_RANGE = (0.5, 1.3)

REACH_RADIUS, REACH_HEIGHT = 0.02, (0.015, 0.06)  # gripper above the block: horizontal, vertical (m)
BUTTON_PRESSED = -0.005  # button joint displacement (m)
DOOR_LATCHED = 0.05  # rad
DOOR_PUSHED = 0.2  # rad closed from the initial angle
POT_SLID = 0.05  # m to the right (-y)


@dataclass
class TaskStatus:
    success: bool
    partial: bool


class KitchenState:
    """Named read access to the simulation for detectors and scripted controllers."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        self.model, self.data = model, data
        self._ee = model.site("ee_gripper").id
        self._bodies = {
            name: model.body(name).id
            for name in ("block", "pot", "stove", "button", "microwave", "door_hinge", "cup", "plate")
        }
        self._button_q = model.joint("button").qposadr[0]
        self._door_q = model.joint("door").qposadr[0]
        self._gripper_geoms = {
            g
            for g in range(model.ngeom)
            if model.body(model.geom_bodyid[g]).name
            in ("gripper_link", "left_finger_link", "right_finger_link")
        }
        self._block_geom = next(
            g for g in range(model.ngeom) if model.geom_bodyid[g] == self._bodies["block"]
        )
        # Arm geoms (contype 2) and which kitchen object each other geom belongs to.
        self._arm_geoms = {g for g in range(model.ngeom) if model.geom_contype[g] == 2}
        owner = {self._bodies[n]: n for n in ("block", "pot", "cup", "plate")}
        owner.update(
            {
                self._bodies["stove"]: "stove",
                self._bodies["button"]: "stove",
                self._bodies["microwave"]: "microwave",
                self._bodies["door_hinge"]: "microwave",
            }
        )
        self._object_of_geom = {
            g: owner[model.geom_bodyid[g]] for g in range(model.ngeom) if model.geom_bodyid[g] in owner
        }

    def position(self, body: str) -> np.ndarray:
        return self.data.xpos[self._bodies[body]].copy()

    def yaw(self, body: str) -> float:
        rotation = self.data.xmat[self._bodies[body]].reshape(3, 3)
        return float(np.arctan2(rotation[1, 0], rotation[0, 0]))

    @property
    def ee_position(self) -> np.ndarray:
        return self.data.site_xpos[self._ee].copy()

    @property
    def button_displacement(self) -> float:
        return float(self.data.qpos[self._button_q])

    @property
    def door_angle(self) -> float:
        return float(self.data.qpos[self._door_q])

    def gripper_touches_block(self) -> bool:
        for contact in self.data.contact[: self.data.ncon]:
            pair = {int(contact.geom1), int(contact.geom2)}
            if self._block_geom in pair and pair & self._gripper_geoms:
                return True
        return False

    def touched_objects(self) -> set[str]:
        """Kitchen objects the arm or gripper is in contact with right now."""
        touched = set()
        for contact in self.data.contact[: self.data.ncon]:
            g1, g2 = int(contact.geom1), int(contact.geom2)
            for arm, other in ((g1, g2), (g2, g1)):
                if arm in self._arm_geoms and other in self._object_of_geom:
                    touched.add(self._object_of_geom[other])
        return touched

    def block_in_pot(self) -> bool:
        offset = self.position("block") - self.position("pot")
        return bool(
            np.hypot(offset[0], offset[1]) < POT_RADIUS - 0.008 and offset[2] < POT_WALL_HEIGHT + 0.01
        )


def evaluate(task: str, state: KitchenState, initial: dict[str, np.ndarray | float]) -> TaskStatus:
    if task == "block":
        offset = state.ee_position - state.position("block")
        above = (
            np.hypot(offset[0], offset[1]) < REACH_RADIUS and REACH_HEIGHT[0] < offset[2] < REACH_HEIGHT[1]
        )
        return TaskStatus(bool(above), state.gripper_touches_block())
    if task == "button":
        pressed = state.button_displacement < BUTTON_PRESSED
        near = np.linalg.norm(state.ee_position - state.position("button")) < 0.04
        return TaskStatus(bool(pressed), bool(near or pressed))
    if task == "microwave":
        angle = state.door_angle
        latched = angle < DOOR_LATCHED
        return TaskStatus(bool(latched), bool(latched or angle < float(initial["door_angle"]) - DOOR_PUSHED))
    if task == "slide_pot":
        slid = state.position("pot")[1] < float(initial["pot_y"]) - POT_SLID
        picked = state.position("block")[2] > BLOCK_HALF + 0.03
        return TaskStatus(bool(slid and state.block_in_pot()), bool(picked or state.block_in_pot()))
    raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
