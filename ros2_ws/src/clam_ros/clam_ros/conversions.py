"""Conversions between ROS 2 messages and the numpy values the plain-Python classes use."""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, JointState

from clam_ros.arm_backends import STATE_NAMES


def joint_state_msg(positions: np.ndarray, velocities: np.ndarray, stamp: Time) -> JointState:
    msg = JointState(
        name=list(STATE_NAMES),
        position=[float(v) for v in positions],
        velocity=[float(v) for v in velocities],
    )
    msg.header.stamp = stamp
    return msg


def command_values(msg: JointState) -> np.ndarray | None:
    """The 7 targets of a command in canonical order: by name when names are given, else positionally.
    None when names are missing or unknown, so the safety filter rejects the command."""
    positions = np.asarray(msg.position, dtype=np.float64)
    if not msg.name:
        return positions
    index = {name: i for i, name in enumerate(msg.name)}
    if set(STATE_NAMES) - set(index) or len(msg.name) != len(positions):
        return None
    return positions[[index[name] for name in STATE_NAMES]]


def command_msg(values: np.ndarray, stamp: Time) -> JointState:
    """Joint targets: a JointState with positions only."""
    return joint_state_msg(values, np.zeros(0), stamp)


def image_msg(rgb: np.ndarray, stamp: Time, frame_id: str) -> Image:
    height, width = rgb.shape[:2]
    msg = Image(height=height, width=width, encoding="rgb8", is_bigendian=0, step=width * 3)
    msg.data = np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    return msg


def image_array(msg: Image) -> np.ndarray:
    if msg.encoding != "rgb8":
        raise ValueError(f"expected rgb8 images, got {msg.encoding!r}")
    return np.frombuffer(msg.data, dtype=np.uint8).reshape(msg.height, msg.width, 3)


def camera_info_msg(
    width: int,
    height: int,
    fx: float,
    fy: float,
    cx: float,
    cy: float,
    distortion: list[float],
    stamp: Time,
    frame_id: str,
) -> CameraInfo:
    msg = CameraInfo(width=width, height=height, distortion_model="plumb_bob")
    msg.d = [float(v) for v in (distortion or [0.0] * 5)]
    msg.k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [fx, 0.0, cx, 0.0, 0.0, fy, cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    return msg
