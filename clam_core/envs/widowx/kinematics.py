"""wx250s kinematics from Interbotix's public product-of-exponentials description (DESIGN.md §5).

Forward kinematics is `modern_robotics.FKinSpace(M, Slist, q)`; inverse kinematics is damped least squares
on the space Jacobian with joint limits enforced at every iteration, seeded from the current configuration.
"""

from __future__ import annotations

import modern_robotics as mr
import numpy as np

JOINT_NAMES = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate")

# Screw axes in the space frame at home, one column per joint.
SLIST = np.array(
    [
        [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, -0.11065, 0.0, 0.0],
        [0.0, 1.0, 0.0, -0.36065, 0.0, 0.04975],
        [1.0, 0.0, 0.0, 0.0, 0.36065, 0.0],
        [0.0, 1.0, 0.0, -0.36065, 0.0, 0.29975],
        [1.0, 0.0, 0.0, 0.0, 0.36065, 0.0],
    ]
).T
# ee_gripper_link in base_link at home.
M_HOME = np.array(
    [[1.0, 0.0, 0.0, 0.458325], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.36065], [0.0, 0.0, 0.0, 1.0]]
)

_PI = np.pi - 1e-5
JOINT_LOWER = np.array([-_PI, np.radians(-108), np.radians(-123), -_PI, np.radians(-100), -_PI])
JOINT_UPPER = np.array([_PI, np.radians(114), np.radians(92), _PI, np.radians(123), _PI])
JOINT_VELOCITY_LIMIT = np.pi  # rad/s, every arm joint
FINGER_LOWER, FINGER_UPPER = 0.015, 0.037  # m, each finger from the gripper centre
HOME_POSE = np.zeros(6)
SLEEP_POSE = np.array([0.0, -1.80, 1.55, 0.0, 0.8, 0.0])


def joint_points_at_home() -> np.ndarray:
    """A point on each joint axis at home, recovered from v = -w x q (used to lay out the MJCF model)."""
    points = []
    for w, v in zip(SLIST[:3].T, SLIST[3:].T, strict=True):
        # For unit w, q = w x v is the point of the axis closest to the origin.
        points.append(np.cross(w, v))
    return np.array(points)


def forward_kinematics(q: np.ndarray) -> np.ndarray:
    """4x4 pose of ee_gripper_link in base_link."""
    return mr.FKinSpace(M_HOME, SLIST, np.asarray(q, dtype=float))


def clip_to_limits(q: np.ndarray) -> np.ndarray:
    return np.clip(q, JOINT_LOWER, JOINT_UPPER)


def pose_error(current: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Space-frame twist that takes `current` to `target` in unit time."""
    body_twist = mr.se3ToVec(mr.MatrixLog6(mr.TransInv(current) @ target))
    return mr.Adjoint(current) @ body_twist


def inverse_kinematics(
    target: np.ndarray,
    seed: np.ndarray,
    iterations: int = 100,
    tol_pos: float = 1e-4,
    tol_rot: float = 1e-3,
    damping: float = 1e-3,
) -> tuple[np.ndarray, bool]:
    """Joint angles reaching pose `target` (4x4), within joint limits; returns (q, converged)."""
    q = clip_to_limits(np.asarray(seed, dtype=float).copy())
    for _ in range(iterations):
        error = pose_error(forward_kinematics(q), target)
        if np.linalg.norm(error[:3]) < tol_rot and _position_error(q, target) < tol_pos:
            return q, True
        jacobian = mr.JacobianSpace(SLIST, q)
        step = jacobian.T @ np.linalg.solve(jacobian @ jacobian.T + damping * np.eye(6), error)
        q = clip_to_limits(q + step)
    converged = _position_error(q, target) < 10 * tol_pos
    return q, bool(converged)


def _position_error(q: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm(forward_kinematics(q)[:3, 3] - target[:3, 3]))


def top_down_pose(position: np.ndarray, yaw: float) -> np.ndarray:
    """Gripper pointing straight down (its x axis along -z), rotated by `yaw` about the vertical."""
    c, s = np.cos(yaw), np.sin(yaw)
    rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])  # +90 deg about y: x -> -z
    pose = np.eye(4)
    pose[:3, :3] = rz @ ry
    pose[:3, 3] = position
    return pose
