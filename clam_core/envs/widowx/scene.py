"""MJCF of the twin: the wx250s arm laid out from the PoE model, a table, and the toy kitchen.

World frame = the arm's base_link: x forward, y left, z up, the table top at z = 0. Every arm body origin
lies on its joint's axis at home (from `joint_points_at_home`), so the MuJoCo chain equals the PoE model.
Arm links are compensated for gravity (the real arm's servos hold their pose) and never collide with each
other; they do collide with the kitchen.
"""

from __future__ import annotations

import numpy as np

from clam_core.envs.widowx.kinematics import (
    FINGER_LOWER,
    FINGER_UPPER,
    JOINT_LOWER,
    JOINT_UPPER,
    M_HOME,
    joint_points_at_home,
)

# Sizes of the kitchen (m); `tasks.py` randomises positions within fixed regions.
BLOCK_HALF = 0.012
POT_RADIUS, POT_WALL_HEIGHT, POT_WALL = 0.045, 0.035, 0.004
BUTTON_RADIUS, BUTTON_HALF_HEIGHT, BUTTON_TRAVEL = 0.016, 0.008, 0.008
STOVE_HALF = (0.06, 0.06, 0.02)
MICROWAVE_HALF = (0.07, 0.06, 0.05)
DOOR_LENGTH, DOOR_THICKNESS = 0.12, 0.006
FINGER_PAD = 0.004  # half thickness of a finger pad

CAMERA_FOVY = 55.0  # degrees, both cameras
CAMERAS = {
    # name: (position, look-at point). "external" is the fixed D435 facing the robot across the table;
    # "shoulder" is the webcam looking over the arm's shoulder.
    "external": ((0.85, 0.05, 0.50), (0.25, 0.0, 0.05)),
    "shoulder": ((-0.20, 0.22, 0.55), (0.32, -0.06, 0.0)),
}


def _xyaxes(position: tuple[float, ...], target: tuple[float, ...]) -> str:
    """MuJoCo camera axes looking from `position` at `target` with the world z axis up."""
    forward = np.asarray(target, float) - np.asarray(position, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    return " ".join(f"{v:.5f}" for v in (*right, *up))


def _v(values) -> str:
    return " ".join(f"{float(v):.6g}" for v in values)


def _arm_xml() -> str:
    points = joint_points_at_home()
    # Body origins on each joint axis at home: waist, shoulder, elbow, forearm (on the roll axis), wrist,
    # gripper (on the wrist-rotate axis, just past the wrist).
    origins = [
        np.array([0.0, 0.0, 0.04]),
        points[1],
        points[2],
        np.array([0.17, 0.0, points[3][2]]),
        points[4],
        np.array([0.36, 0.0, points[5][2]]),
    ]
    axes = ["0 0 1", "0 1 0", "0 1 0", "1 0 0", "0 1 0", "1 0 0"]
    names = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate"]
    bodies = [
        "waist_link",
        "upper_arm_link",
        "upper_forearm_link",
        "lower_forearm_link",
        "wrist_link",
        "gripper_link",
    ]
    # A geom per link from its origin towards the next origin, for looks and collisions.
    ends = [*origins[1:], M_HOME[:3, 3] - np.array([0.07, 0.0, 0.0])]
    radii = [0.035, 0.025, 0.022, 0.02, 0.022, 0.02]
    xml, parent = "", np.zeros(3)
    for index, (origin, end) in enumerate(zip(origins, ends, strict=True)):
        local, local_end = origin - parent, end - origin
        if np.linalg.norm(local_end) < 1e-6:
            local_end = np.array([0.0, 0.0, 0.01])
        geom = f'<geom class="arm" type="capsule" fromto="0 0 0 {_v(local_end)}" size="{radii[index]}"/>'
        xml += (
            f'<body name="{bodies[index]}" pos="{_v(local)}" gravcomp="1">'
            f'<joint name="{names[index]}" axis="{axes[index]}" '
            f'range="{JOINT_LOWER[index]:.6f} {JOINT_UPPER[index]:.6f}"/>{geom}'
        )
        parent = origin
    ee_local = M_HOME[:3, 3] - parent
    pad_center_x = ee_local[0] - 0.018
    fingers = ""
    for side, sign in (("left", 1.0), ("right", -1.0)):
        # The joint value q is the finger position; the pad's inner face sits at |y| = q - FINGER_LOWER, so
        # the fingers touch when closed and open to 2 * (FINGER_UPPER - FINGER_LOWER).
        pad_y = sign * (FINGER_PAD - FINGER_LOWER)
        fingers += (
            f'<body name="{side}_finger_link" gravcomp="1">'
            f'<joint name="{side}_finger" type="slide" axis="0 {sign:g} 0" '
            f'range="{FINGER_LOWER} {FINGER_UPPER}" damping="2"/>'
            f'<geom class="finger" type="box" pos="{pad_center_x:.5f} {pad_y:.5f} 0" '
            f'size="0.02 {FINGER_PAD} 0.012"/></body>'
        )
    xml += (
        f'<site name="ee_gripper" pos="{_v(ee_local)}" size="0.005" rgba="1 0 0 0.5"/>'
        f'<geom class="arm" type="box" pos="{ee_local[0] - 0.05:.5f} 0 0" size="0.015 0.03 0.015"/>'
        f"{fingers}"
    )
    xml += "</body>" * len(origins)
    return xml


def _actuators_xml() -> str:
    gains = {
        "waist": 60,
        "shoulder": 120,
        "elbow": 90,
        "forearm_roll": 30,
        "wrist_angle": 40,
        "wrist_rotate": 20,
    }
    lines = [
        f'<position name="{joint}" joint="{joint}" kp="{kp}" dampratio="1" '
        f'ctrlrange="{JOINT_LOWER[i]:.6f} {JOINT_UPPER[i]:.6f}"/>'
        for i, (joint, kp) in enumerate(gains.items())
    ]
    lines += [
        f'<position name="{side}_finger" joint="{side}_finger" kp="400" dampratio="1" '
        f'ctrlrange="{FINGER_LOWER} {FINGER_UPPER}" forcerange="-8 8"/>'
        for side in ("left", "right")
    ]
    return "\n".join(lines)


def _pot_xml() -> str:
    walls = []
    for k in range(10):
        angle = 2 * np.pi * k / 10
        x, y = POT_RADIUS * np.cos(angle), POT_RADIUS * np.sin(angle)
        walls.append(
            f'<geom class="object" type="box" pos="{x:.5f} {y:.5f} {POT_WALL_HEIGHT / 2:.4f}" '
            f'euler="0 0 {angle:.5f}" size="{POT_WALL} 0.015 {POT_WALL_HEIGHT / 2:.4f}" '
            f'rgba="0.55 0.55 0.6 1"/>'
        )
    return (
        f'<body name="pot" pos="0.38 0.05 0"><freejoint name="pot"/>'
        f'<geom class="object" type="cylinder" pos="0 0 0.003" size="{POT_RADIUS} 0.003" mass="0.15" '
        f'rgba="0.45 0.45 0.5 1"/>{"".join(walls)}</body>'
    )


def kitchen_xml(image_width: int = 128, image_height: int = 128) -> str:
    cameras = "".join(
        f'<camera name="{name}" pos="{_v(position)}" xyaxes="{_xyaxes(position, target)}" '
        f'fovy="{CAMERA_FOVY}"/>'
        for name, (position, target) in CAMERAS.items()
    )
    sx, sy, sz = STOVE_HALF
    mx, my, mz = MICROWAVE_HALF
    return f"""
<mujoco model="widowx_kitchen">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="0.004" integrator="implicitfast" cone="elliptic" impratio="5"/>
  <visual>
    <global offwidth="{image_width}" offheight="{image_height}"/>
    <quality shadowsize="0" offsamples="0"/>
    <headlight ambient="0.45 0.45 0.45" diffuse="0.6 0.6 0.6" specular="0 0 0"/>
  </visual>
  <default>
    <joint armature="0.05" damping="1"/>
    <geom solref="0.005 1" friction="1 0.01 0.001"/>
    <default class="arm"><geom contype="2" conaffinity="1" rgba="0.15 0.15 0.15 1" density="400"/></default>
    <default class="finger">
      <geom contype="2" conaffinity="1" rgba="0.3 0.3 0.35 1" friction="1.5 0.02 0.002" density="800"/>
    </default>
    <default class="object"><geom contype="1" conaffinity="3" density="600"/></default>
  </default>
  <worldbody>
    <light pos="0.3 0 1.2" dir="0 0 -1" diffuse="0.5 0.5 0.5" castshadow="false"/>
    <geom name="table" class="object" type="box" pos="0.25 0 -0.02" size="0.45 0.5 0.02"
          rgba="0.75 0.6 0.45 1"/>
    <geom name="base" type="cylinder" pos="0 0 0.02" size="0.05 0.02" contype="0" conaffinity="0"
          rgba="0.1 0.1 0.1 1"/>
    {cameras}
    {_arm_xml()}
    <body name="block" pos="0.25 0.0 {BLOCK_HALF}"><freejoint name="block"/>
      <geom class="object" type="box" size="{BLOCK_HALF} {BLOCK_HALF} {BLOCK_HALF}" mass="0.03"
            friction="1.5 0.02 0.002" rgba="0.1 0.75 0.2 1"/></body>
    {_pot_xml()}
    <body name="stove" pos="0.22 0.22 {sz}">
      <geom class="object" type="box" size="{sx} {sy} {sz}" rgba="0.2 0.2 0.22 1"/>
      <body name="button" pos="0 0 {sz + BUTTON_HALF_HEIGHT}">
        <joint name="button" type="slide" axis="0 0 1" range="{-BUTTON_TRAVEL} 0" stiffness="60" damping="2"/>
        <geom class="object" type="cylinder" size="{BUTTON_RADIUS} {BUTTON_HALF_HEIGHT}"
              rgba="0.85 0.1 0.1 1"/>
      </body>
    </body>
    <body name="microwave" pos="0.27 -0.27 {mz}">
      <geom class="object" type="box" size="{mx} {my} {mz}" rgba="0.85 0.85 0.88 1"/>
      <body name="door_hinge" pos="{mx} {my + DOOR_THICKNESS} 0">
        <joint name="door" type="hinge" axis="0 0 -1" range="0 1.6" damping="0.05"/>
        <geom name="door" class="object" type="box" pos="{-DOOR_LENGTH / 2} 0 0"
              size="{DOOR_LENGTH / 2} {DOOR_THICKNESS / 2} {mz * 0.9}" rgba="0.3 0.3 0.35 1"/>
      </body>
    </body>
    <body name="cup" pos="0.12 0.16 0.03"><freejoint name="cup"/>
      <geom class="object" type="cylinder" size="0.02 0.03" mass="0.05" rgba="0.2 0.35 0.85 1"/></body>
    <body name="plate" pos="0.42 0.2 0.004">
      <geom class="object" type="cylinder" size="0.05 0.004" rgba="0.95 0.95 0.9 1"/></body>
  </worldbody>
  <contact>
    <exclude body1="stove" body2="button"/>
    <exclude body1="microwave" body2="door_hinge"/>
  </contact>
  <actuator>
    {_actuators_xml()}
  </actuator>
</mujoco>
"""
