"""What can be checked of the Docker set-up without a Docker engine: hadolint passes on both Dockerfiles,
every file they COPY exists in the build context, and every compose command names an existing launch file
with arguments it declares (or a service the arm driver offers)."""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from launch_files import declared_arguments

from clam_bringup.graph import robot_settings

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILES = [ROOT / "docker" / "robot.Dockerfile", ROOT / "docker" / "train.Dockerfile"]
COMPOSE = ROOT / "docker" / "compose.yaml"


def _instructions(dockerfile: Path) -> list[list[str]]:
    """Dockerfile instructions as word lists, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in dockerfile.read_text().splitlines():
        if not current and line.lstrip().startswith("#"):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            if current.strip():
                logical.append(shlex.split(current))
            current = ""
    return logical


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--config", str(ROOT / ".hadolint.yaml"), str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_copied_file_exists_in_the_build_context(dockerfile: Path) -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    copies = [words for words in _instructions(dockerfile) if words[0].upper() == "COPY"]
    assert copies
    for words in copies:
        sources = [w for w in words[1:-1] if not w.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source} does not exist"
            assert source.split("/")[0] not in ignored, f"{source} is excluded by .dockerignore"


def _launch_commands() -> list[tuple[str, list[str]]]:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    return [(name, shlex.split(service["command"])) for name, service in services.items()]


def test_compose_builds_from_this_repository() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    for service in compose["services"].values():
        build = service["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
        assert service["network_mode"] == "host"


@pytest.mark.parametrize(("service", "command"), _launch_commands(), ids=[n for n, _ in _launch_commands()])
def test_compose_commands_name_existing_launch_files_and_declared_arguments(service: str, command) -> None:
    if command[:2] == ["ros2", "launch"]:
        package, launch_file, *arguments = command[2:]
        assert package == "clam_bringup"
        path = ROOT / "launch" / launch_file
        assert path.is_file(), f"{service}: {launch_file} does not exist"
        names = {argument.split(":=", 1)[0] for argument in arguments}
        assert names <= declared_arguments(path), f"{service}: {names - declared_arguments(path)} undeclared"
    else:  # the e-stop services call the arm driver's latching estop service
        assert command[:3] == ["ros2", "service", "call"]
        assert command[3] == f"/{robot_settings()['driver_namespace']}/estop"
        assert command[4] == "std_srvs/srv/SetBool"


def test_the_estop_can_be_engaged_and_released_from_compose() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert shlex.split(services["estop"]["command"])[-1] == "{data: true}"
    assert shlex.split(services["release-estop"]["command"])[-1] == "{data: false}"


# Imports the robot image gets elsewhere: ROS 2 and Interbotix Debian/colcon packages, this repository, and
# the optional oculus_reader (an ADB tool installed by hand next to the headset's APK).
NOT_FROM_PIP = {
    "rclpy",
    "builtin_interfaces",
    "diagnostic_msgs",
    "geometry_msgs",
    "sensor_msgs",
    "std_msgs",
    "std_srvs",
    "interbotix_xs_modules",
    "clam_core",
    "clam_ros",
    "oculus_reader",
}
DISTRIBUTION = {"cv2": "opencv-python-headless", "yaml": "pyyaml"}


def test_robot_image_pins_every_third_party_module_the_nodes_import() -> None:
    imported = set()
    for source in (ROOT / "ros2_ws" / "src" / "clam_ros" / "clam_ros").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - NOT_FROM_PIP
    pinned = {
        line.split("==")[0].lower()
        for line in (ROOT / "docker" / "requirements-robot.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    missing = {m for m in third_party if DISTRIBUTION.get(m, m).lower().replace("_", "-") not in pinned}
    assert third_party >= {"aiohttp", "segno", "cryptography", "numpy"} and not missing, missing
