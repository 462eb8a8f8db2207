"""clam_bringup installs the top-level launch/ folder (launch files, task and camera configs, the Fast DDS
profile) into share/clam_bringup, where `ros2 launch clam_bringup policy.launch.py` finds them."""

from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "clam_bringup"
LAUNCH = "../../../launch"  # relative to this file: the repository's launch/ folder

if not Path(__file__).resolve().parent.joinpath(LAUNCH).is_dir():
    raise SystemExit(f"{PACKAGE}: expected the launch folder at {LAUNCH} (build from the repository)")

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", sorted(glob(f"{LAUNCH}/*.launch.py"))),
        (f"share/{PACKAGE}/config", sorted(glob(f"{LAUNCH}/config/*.yaml") + glob(f"{LAUNCH}/config/*.xml"))),
        (f"share/{PACKAGE}/config/tasks", sorted(glob(f"{LAUNCH}/config/tasks/*.yaml"))),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    description="Launch files and configuration for the CLAM WidowX stack",
    license="Apache-2.0",
)
