"""clam_bringup: the graph functions behind the launch files, the launch files themselves, and a colcon
build of both ROS packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from launch_files import declared_arguments, imported_names

from clam_bringup.graph import TASKS, config_dir, policy_graph, record_graph, robot_graph, task_config

ROOT = Path(__file__).resolve().parent.parent
GRAPH = "clam_bringup.graph"


def _by_name(specs):
    return {spec.fully_qualified_name: spec for spec in specs}


def test_policy_graph_in_sim() -> None:
    nodes = _by_name(policy_graph("microwave", checkpoint="/models/microwave", sim=True))
    assert list(nodes) == [
        "/arm/arm_driver",
        "/cameras/external/camera",
        "/cameras/shoulder/camera",
        "/policy",
    ]
    assert nodes["/arm/arm_driver"].parameters["backend"] == "sim"
    assert nodes["/arm/arm_driver"].parameters["task"] == "microwave"
    assert nodes["/cameras/shoulder/camera"].parameters["backend"] == "sim"
    policy = nodes["/policy"].parameters
    assert policy["checkpoint"] == "/models/microwave"
    assert (policy["control_rate"], policy["ensemble_coeff"], policy["episode_length"]) == (5.0, 0.5, 100)
    assert policy["camera_names"] == ["external", "shoulder"]
    assert policy["command_topic"] == "/arm/joint_commands"


def test_robot_graph_on_hardware_uses_interbotix_and_the_real_cameras() -> None:
    nodes = _by_name(robot_graph(sim=False, task="block"))
    assert nodes["/arm/arm_driver"].parameters["backend"] == "interbotix"
    assert nodes["/cameras/external/camera"].parameters["backend"] == "realsense"
    shoulder = nodes["/cameras/shoulder/camera"]
    assert shoulder.parameters["backend"] == "webcam" and shoulder.parameters["source"] == "0"
    args = shoulder.ros_arguments()
    assert args[:5] == ["--ros-args", "-r", "__node:=camera", "-r", "__ns:=/cameras/shoulder"]
    assert 'source:="0"' in args  # stays a string, not the integer 0


@pytest.mark.parametrize("task", TASKS)
def test_every_task_has_a_complete_config(task: str) -> None:
    cfg = task_config(task)
    assert {"checkpoint", "control_rate", "ensemble_coeff", "episode_length", "cameras"} <= set(cfg)
    assert policy_graph(task)[-1].parameters["checkpoint"].startswith(str(Path.home()))


def test_record_graph_wires_teleop_buttons_and_commands_to_the_recorder() -> None:
    nodes = _by_name(record_graph(sim=True, task="button", teleop={"port": 9443, "token": "abcdefgh"}))
    assert list(nodes) == [
        "/arm/arm_driver",
        "/cameras/external/camera",
        "/cameras/shoulder/camera",
        "/recorder",
        "/teleop",
    ]
    teleop, recorder = nodes["/teleop"].parameters, nodes["/recorder"].parameters
    assert (teleop["port"], teleop["token"], teleop["bind_address"]) == (9443, "abcdefgh", "0.0.0.0")
    assert teleop["command_topic"] == recorder["command_topic"] == "/arm/joint_commands"
    assert teleop["control_rate"] == recorder["control_rate"] == 5.0
    assert recorder["joy_topic"] == "/teleop/joy" and recorder["task"] == "button"
    assert "/teleop" not in _by_name(record_graph(sim=True, teleop={"enabled": False}))


def test_unknown_task_is_named() -> None:
    with pytest.raises(ValueError, match="unknown task 'cook'"):
        policy_graph("cook")


def test_launch_files_declare_their_arguments_and_use_the_graph_functions() -> None:
    assert declared_arguments(ROOT / "launch" / "robot.launch.py") == {"sim", "task"}
    assert declared_arguments(ROOT / "launch" / "policy.launch.py") == {"task", "checkpoint", "sim"}
    assert imported_names(ROOT / "launch" / "robot.launch.py", GRAPH) == {"robot_graph"}
    assert imported_names(ROOT / "launch" / "policy.launch.py", GRAPH) == {"policy_graph"}
    assert declared_arguments(ROOT / "launch" / "record.launch.py") == {
        "sim",
        "task",
        "kind",
        "operator",
        "out_dir",
        "teleop",
        "bind_address",
        "port",
    }
    assert imported_names(ROOT / "launch" / "record.launch.py", GRAPH) == {"record_graph"}


def test_colcon_builds_both_packages_and_installs_launch_files(tmp_path: Path) -> None:
    colcon = Path(sys.executable).parent / "colcon"
    result = subprocess.run(
        [
            str(colcon),
            "build",
            "--base-paths",
            str(ROOT / "ros2_ws" / "src"),
            "--build-base",
            str(tmp_path / "build"),
            "--install-base",
            str(tmp_path / "install"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    share = tmp_path / "install" / "clam_bringup" / "share" / "clam_bringup"
    assert {p.name for p in (share / "launch").iterdir()} == {
        "robot.launch.py",
        "policy.launch.py",
        "record.launch.py",
    }
    assert {p.stem for p in (share / "config" / "tasks").iterdir()} == set(TASKS)
    assert (share / "config" / "fastdds_large_images.xml").is_file()
    executables = tmp_path / "install" / "clam_ros" / "lib" / "clam_ros"
    assert {p.name for p in executables.iterdir()} == {
        "clam_arm_driver",
        "clam_camera",
        "clam_policy",
        "clam_recorder",
        "clam_scripted_teleop",
        "clam_teleop",
    }
    # With the install tree on AMENT_PREFIX_PATH, the graph reads the installed configuration.
    env = {**os.environ, "AMENT_PREFIX_PATH": str(tmp_path / "install" / "clam_bringup")}
    env.pop("CLAM_CONFIG_DIR", None)
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from clam_bringup.graph import config_dir; print(json.dumps(str(config_dir())))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(found.stdout) == str(share / "config")
    assert config_dir() == ROOT / "launch" / "config"  # from the source tree otherwise
