"""The nodes, parameters and namespaces of each launch file, produced by plain functions.

`robot.launch.py` and `policy.launch.py` turn these `NodeSpec`s into `launch_ros` actions; the tests and the
demo start the very same specs as processes (`clam_bringup.processes`), since `ros2 launch` is not
pip-installable. Configuration comes from the launch/config folder: per-task YAML and the real cameras.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PACKAGE = "clam_bringup"
TASKS = ("block", "button", "microwave", "slide_pot")
FASTDDS_PROFILE = "fastdds_large_images.xml"
# Fast DDS 2.x (ROS 2 Jazzy, Humble) reads only the first; Fast DDS 3.x reads the second. Set both.
PROFILE_ENV_VARS = ("FASTRTPS_DEFAULT_PROFILES_FILE", "FASTDDS_DEFAULT_PROFILES_FILE")


@dataclass
class NodeSpec:
    package: str
    executable: str
    name: str
    namespace: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def fully_qualified_name(self) -> str:
        return f"/{self.namespace}/{self.name}" if self.namespace else f"/{self.name}"

    def ros_arguments(self) -> list[str]:
        """`--ros-args` for running this node as a process (values as YAML, which JSON is)."""
        args = ["--ros-args", "-r", f"__node:={self.name}"]
        if self.namespace:
            args += ["-r", f"__ns:=/{self.namespace}"]
        for key, value in self.parameters.items():
            args += ["-p", f"{key}:={json.dumps(value)}"]
        return args


def with_parameters(specs: list[NodeSpec], node: str, **parameters: object) -> list[NodeSpec]:
    """The graph with some parameters of one node replaced (what launch arguments would override)."""
    for spec in specs:
        if spec.name == node:
            spec.parameters.update(parameters)
    return specs


def config_dir() -> Path:
    """launch/config: $CLAM_CONFIG_DIR, else the installed share folder, else the source tree."""
    if "CLAM_CONFIG_DIR" in os.environ:
        return Path(os.environ["CLAM_CONFIG_DIR"])
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory

        return Path(get_package_share_directory(PACKAGE)) / "config"
    except (ImportError, PackageNotFoundError, KeyError, ValueError, OSError):  # no ament prefix: source tree
        return Path(__file__).resolve().parents[4] / "launch" / "config"


def load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"configuration file {path} not found")
    return yaml.safe_load(path.read_text()) or {}


def task_config(task: str, directory: Path | None = None) -> dict[str, Any]:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    return load_yaml((directory or config_dir()) / "tasks" / f"{task}.yaml")


def fastdds_profile(directory: Path | None = None) -> Path:
    return (directory or config_dir()) / FASTDDS_PROFILE


def robot_settings(directory: Path | None = None) -> dict[str, Any]:
    return load_yaml((directory or config_dir()) / "robot.yaml")


def robot_graph(sim: bool = False, task: str = "microwave", directory: Path | None = None) -> list[NodeSpec]:
    """Arm driver + one camera node per camera of the task; `sim` swaps in the kitchen twin for both."""
    directory = directory or config_dir()
    cfg = task_config(task, directory)
    robot = robot_settings(directory)
    arm = {
        "backend": "sim" if sim else "interbotix",
        "control_rate": float(cfg["control_rate"]),
        "robot_model": robot["robot_model"],
        "robot_name": robot["robot_name"],
    }
    if sim:
        arm.update(task=task, seed=int(robot.get("sim_seed", 0)))
    nodes = [NodeSpec("clam_ros", "clam_arm_driver", "arm_driver", robot["driver_namespace"], arm)]
    for camera in cfg["cameras"]:
        if sim:
            size = int(cfg.get("sim_image_size", 128))
            params = {
                "backend": "sim",
                "camera": camera,
                "width": size,
                "height": size,
                "fps": float(cfg.get("sim_camera_fps", 10.0)),
                "frame_id": f"{camera}_optical_frame",
            }
        else:
            params = dict(robot["cameras"][camera])
        nodes.append(NodeSpec("clam_ros", "clam_camera", "camera", f"cameras/{camera}", params))
    return nodes


def robot_io(cfg: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The topics a node reading the robot (joint states, the task's cameras) and its commands uses."""
    io = {
        "control_rate": float(cfg["control_rate"]),
        "joint_states_topic": f"/{namespace}/joint_states",
        "command_topic": f"/{namespace}/joint_commands",
        "camera_topic": "/cameras/{name}/image_raw",
    }
    if cfg["cameras"]:  # an empty list has no ROS parameter type: leave it out
        io["camera_names"] = list(cfg["cameras"])
    return io


def policy_graph(
    task: str, checkpoint: str | None = None, sim: bool = False, directory: Path | None = None
) -> list[NodeSpec]:
    """The robot graph plus the policy node configured from the task's YAML."""
    directory = directory or config_dir()
    cfg = task_config(task, directory)
    namespace = robot_settings(directory)["driver_namespace"]
    policy = {
        "checkpoint": str(Path(checkpoint or cfg["checkpoint"]).expanduser()),
        "ensemble_coeff": float(cfg["ensemble_coeff"]),
        "episode_length": int(cfg["episode_length"]),
        "autostart": bool(cfg.get("autostart", True)),
        **robot_io(cfg, namespace),
    }
    return [*robot_graph(sim, task, directory), NodeSpec("clam_ros", "clam_policy", "policy", "", policy)]


def record_graph(
    sim: bool = False,
    task: str = "microwave",
    kind: str = "play",
    operator: str = "",
    out_dir: str | None = None,
    teleop: dict[str, Any] | None = None,
    directory: Path | None = None,
) -> list[NodeSpec]:
    """The robot graph, the Quest teleop node and the play recorder (episode bags of states, images and
    commanded actions; the headset's A/B buttons control episodes). `teleop` overrides robot.yaml's
    teleop settings (bind_address, port, token, cert_dir); `{"enabled": False}` leaves the node out, for
    another source of commands (a scripted teleop)."""
    directory = directory or config_dir()
    cfg = task_config(task, directory)
    robot = robot_settings(directory)
    io = robot_io(cfg, robot["driver_namespace"])
    recorder = {
        "out_dir": str(Path(out_dir or robot["recorder"]["out_dir"]).expanduser()),
        "min_free_gb": float(robot["recorder"]["min_free_gb"]),
        "kind": kind,
        "task": task,
        "operator": operator,
        "joy_topic": "/teleop/joy",
        **io,
    }
    nodes = [
        *robot_graph(sim, task, directory),
        NodeSpec("clam_ros", "clam_recorder", "recorder", "", recorder),
    ]
    settings = {**robot.get("teleop", {}), **(teleop or {})}
    if settings.pop("enabled", True):
        keys = ("control_rate", "joint_states_topic", "command_topic")
        nodes.append(
            NodeSpec("clam_ros", "clam_teleop", "teleop", "", {**settings, **{k: io[k] for k in keys}})
        )
    return nodes


def scripted_record_graph(
    task: str,
    kind: str,
    episodes: int,
    out_dir: str,
    seed: int = 0,
    episode_length: int | None = None,
    directory: Path | None = None,
) -> list[NodeSpec]:
    """The twin's record graph with a scripted teleoperator in place of the headset: it records `episodes`
    episodes of the play controller or the scripted expert, then its process exits."""
    directory = directory or config_dir()
    cfg = task_config(task, directory)
    namespace = robot_settings(directory)["driver_namespace"]
    io = robot_io(cfg, namespace)
    operator = {
        "task": task,
        "kind": kind,
        "episodes": episodes,
        "episode_length": int(episode_length or cfg["episode_length"]),
        "seed": seed,
        "reset_service": f"/{namespace}/reset_scene",
        "recorder": "/recorder",
        **{k: io[k] for k in ("control_rate", "joint_states_topic", "command_topic")},
    }
    nodes = record_graph(True, task, kind, "scripted", out_dir, {"enabled": False}, directory)
    return [*nodes, NodeSpec("clam_ros", "clam_scripted_teleop", "scripted_teleop", "", operator)]
