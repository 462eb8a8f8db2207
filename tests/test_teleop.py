"""Quest teleop, ROS-free: the clutch mapping into the robot frame (through the wx250s IK), the strict
validation of headset messages, fuzzed, and the oculus_reader (ADB) backend with a scripted reader."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from clam_core.envs.widowx.kinematics import FINGER_LOWER, FINGER_UPPER, forward_kinematics
from clam_ros.teleop.mapping import ClutchTeleop, ControllerSample, GripPress, Workspace, quaternion_matrix
from clam_ros.teleop.oculus_source import OculusReaderSource, matrix_quaternion
from clam_ros.teleop.protocol import BadMessage, parse_message

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])
Q0 = np.array([0.0, -0.5, 0.5, 0.0, 1.0, 0.0, 0.03])
TOKEN = "pairing-secret"


def _sample(position, grip=True, trigger=0.0, stamp=0.0) -> ControllerSample:
    return ControllerSample(np.asarray(position, float), IDENTITY, grip, trigger, stamp)


def test_clutch_maps_headset_motion_into_the_robot_frame() -> None:
    teleop = ClutchTeleop(max_speed=10.0)
    released = teleop.command(_sample([0, 0, 0], grip=False, trigger=0.0), Q0, 0.0)
    assert np.allclose(released, np.append(Q0[:6], FINGER_UPPER))  # released: hold where it is, open
    start = forward_kinematics(Q0[:6])[:3, 3]
    teleop.command(_sample([0.1, 1.0, 0.2]), Q0, 0.0)  # grip pressed here: reference captured
    # Headset: 5 cm forward (-z), 3 cm up (+y), 2 cm right (+x) -> robot: +x 5 cm, +z 3 cm, -y 2 cm.
    command = teleop.command(_sample([0.12, 1.03, 0.15], trigger=1.0), Q0, 0.2)
    reached = forward_kinematics(command[:6])
    assert np.allclose(reached[:3, 3], start + [0.05, -0.02, 0.03], atol=1e-3)
    assert np.allclose(reached[:3, :3], forward_kinematics(Q0[:6])[:3, :3], atol=1e-2)
    assert command[6] == pytest.approx(FINGER_LOWER)


def test_the_reference_is_the_pose_at_the_press_even_when_the_node_sees_it_late() -> None:
    grip = GripPress()
    assert grip.update(_sample([0, 1, 0], grip=False)) is None
    pressed = _sample([0.0, 1.0, 0.0], stamp=1.0)
    assert grip.update(pressed) is pressed
    assert grip.update(_sample([0.0, 1.0, -0.03], stamp=1.1)) is pressed  # held: still the press
    late = _sample([0.0, 1.0, -0.05], stamp=1.2)  # the node's first tick after the press sees this one
    teleop = ClutchTeleop(max_speed=10.0)
    command = teleop.command(late, Q0, 0.0, press=grip.update(late))
    start = forward_kinematics(Q0[:6])[:3, 3]
    assert np.allclose(forward_kinematics(command[:6])[:3, 3], start + [0.05, 0.0, 0.0], atol=1e-3)
    assert grip.update(_sample([0, 1, 0], grip=False)) is None  # released: forgotten


def test_workspace_bounds_and_rate_limit() -> None:
    teleop = ClutchTeleop(
        workspace=Workspace(np.array([0.1, -0.3, 0.05]), np.array([0.5, 0.3, 0.4])), max_speed=0.25
    )
    teleop.command(_sample([0, 0, 0]), Q0, 0.0)
    far = teleop.command(_sample([0, -5.0, 0]), Q0, 0.2)  # 5 m down, at once
    start = forward_kinematics(Q0[:6])[:3, 3]
    reached = forward_kinematics(far[:6])[:3, 3]
    assert np.linalg.norm(reached - start) == pytest.approx(0.25 * 0.2, abs=1e-3)  # rate limited
    for step in range(2, 40):
        last = teleop.command(_sample([0, -5.0, 0]), Q0, 0.2 * step)
    assert forward_kinematics(last[:6])[2, 3] == pytest.approx(0.05, abs=2e-3)  # stopped at the floor bound
    # Grip let go: the arm holds the last commanded pose although it is measured elsewhere, and the
    # trigger still drives the gripper.
    held = teleop.command(_sample([0, 0, 0], grip=False, trigger=1.0), Q0, 9.0)
    assert not teleop.engaged and np.allclose(held[:6], last[:6]) and held[6] == pytest.approx(FINGER_LOWER)
    teleop.release()  # a new headset session: hold where the arm is
    assert np.allclose(teleop.command(_sample([0, 0, 0], grip=False), Q0, 9.2)[:6], Q0[:6])


def test_ten_thousand_malformed_messages_are_all_refused_cleanly() -> None:
    rng = np.random.default_rng(0)
    good = {
        "t": 1.0,
        "position": [0.0, 1.0, 0.0],
        "orientation": [0.0, 0.0, 0.0, 1.0],
        "grip": True,
        "trigger": 0.5,
    }
    corruptions = [
        lambda m: "x" * 5000,
        lambda m: "{not json",
        lambda m: json.dumps([1, 2]),
        lambda m: json.dumps({**m, "t": "soon"}),
        lambda m: json.dumps({**m, "position": [1, 2]}),
        lambda m: json.dumps({**m, "position": [math.nan, 0, 0]}).replace("NaN", "NaN"),
        lambda m: json.dumps({**m, "orientation": [0, 0, 0, 0]}),
        lambda m: json.dumps({**m, "grip": "yes"}),
        lambda m: json.dumps({**m, "trigger": 7}),
        lambda m: json.dumps({**m, "position": [1e9, 0, 0]}),
        lambda m: json.dumps({**m, "buttons": {"a": 1}}),
        lambda m: json.dumps({k: v for k, v in m.items() if k != "grip"}),
    ]
    for index in range(10_000):
        message = corruptions[index % len(corruptions)](good)
        if index % 7 == 0:
            message = bytes(rng.integers(0, 256, rng.integers(1, 300), dtype=np.uint8)).decode("latin-1")
        with pytest.raises(BadMessage):
            parse_message(message)
    sample, buttons = parse_message(json.dumps({**good, "buttons": {"a": True}}))
    assert sample.grip and sample.trigger == 0.5 and buttons == {"a": True}


class ScriptedReader:
    """Stands in for oculus_reader's ADB stream: the Quest's readings, set by the test."""

    def __init__(self) -> None:
        self.poses: dict[str, np.ndarray] = {}
        self.buttons: dict[str, object] = {}

    def get_transformations_and_buttons(self) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        return self.poses, self.buttons


def test_rotation_matrices_round_trip_through_quaternions() -> None:
    rng = np.random.default_rng(1)
    for quaternion in [*rng.normal(size=(200, 4)), [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]:
        rotation = quaternion_matrix(np.asarray(quaternion, float))
        assert np.allclose(quaternion_matrix(matrix_quaternion(rotation)), rotation, atol=1e-9)


def test_oculus_reader_backend_produces_the_same_samples_as_the_webxr_page() -> None:
    reader = ScriptedReader()
    source = OculusReaderSource(reader, rate=200.0)
    source.start()
    try:
        time.sleep(0.05)
        assert source.latest() is None  # right controller not tracked yet
        pose = np.eye(4)
        pose[:3, :3] = quaternion_matrix(np.array([0.0, 0.3826834, 0.0, 0.9238795]))  # 45 deg about y
        pose[:3, 3] = [0.1, 1.2, -0.3]
        reader.poses = {"r": pose, "l": np.eye(4)}
        reader.buttons = {"RG": True, "rightTrig": (0.75,), "A": True, "B": False, "X": True}
        deadline = time.monotonic() + 2.0
        while source.latest() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        sample, buttons, _, connection, press = source.latest()
    finally:
        source.stop()
    assert np.allclose(sample.position, [0.1, 1.2, -0.3])
    assert np.allclose(np.abs(sample.orientation), [0.0, 0.3826834, 0.0, 0.9238795], atol=1e-6)
    assert sample.grip and sample.trigger == pytest.approx(0.75) and buttons == {"a": True, "b": False}
    assert connection == 1 and press is not None and np.allclose(press.position, sample.position)
    # The clutch mapping takes it like any WebXR sample.
    assert ClutchTeleop().command(sample, Q0, 0.0).shape == (7,)


def test_oculus_reader_backend_without_its_package_says_what_to_install() -> None:
    with pytest.raises(RuntimeError, match="needs the oculus_reader package"):
        OculusReaderSource()
