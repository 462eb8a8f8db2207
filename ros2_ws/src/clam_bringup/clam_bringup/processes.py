"""Start a graph of `NodeSpec`s as real processes: what `ros2 launch` does, for machines without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from clam_bringup.graph import PROFILE_ENV_VARS, NodeSpec, fastdds_profile


def ros_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every node runs in: loopback-only discovery, the large-image Fast DDS profile and
    offscreen MuJoCo rendering, unless the caller's environment says otherwise."""
    env = dict(os.environ if base is None else base)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
    for variable in PROFILE_ENV_VARS:
        env.setdefault(variable, str(fastdds_profile()))
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault(
        "MUJOCO_GL", "egl"
    )  # the twin's cameras render offscreen: a robot computer may have no display
    return env


def executable_path(name: str) -> str:
    """A node's console script: next to this interpreter (a venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"executable {name!r} not found; install clam_ros (pip install -e ros2_ws/src/clam_ros)"
        )
    return found


def start_node(
    spec: NodeSpec, env: dict[str, str] | None = None, log_file: Path | None = None
) -> subprocess.Popen:
    output = open(log_file, "ab") if log_file is not None else None  # noqa: SIM115  (owned by the process)
    return subprocess.Popen(
        [executable_path(spec.executable), *spec.ros_arguments()],
        env=ros_environment(env),
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )


def start_graph(
    specs: list[NodeSpec], env: dict[str, str] | None = None, log_dir: Path | None = None
) -> dict[str, subprocess.Popen]:
    """Start every node; returns the processes by fully qualified node name."""
    processes = {}
    for spec in specs:
        log = (
            None
            if log_dir is None
            else Path(log_dir) / (spec.fully_qualified_name.strip("/").replace("/", "_") + ".log")
        )
        processes[spec.fully_qualified_name] = start_node(spec, env, log)
    return processes


def stop_graph(processes: dict[str, subprocess.Popen], timeout: float = 10.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
