from setuptools import find_packages, setup

PACKAGE = "clam_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
    package_data={"clam_ros.teleop": ["web/*"]},
    install_requires=["setuptools"],
    zip_safe=True,
    description="ROS 2 nodes for CLAM on the WidowX 250",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "clam_arm_driver = clam_ros.nodes.arm_driver_node:main",
            "clam_camera = clam_ros.nodes.camera_node:main",
            "clam_policy = clam_ros.nodes.policy_node:main",
            "clam_recorder = clam_ros.nodes.recorder_node:main",
            "clam_teleop = clam_ros.nodes.teleop_node:main",
            "clam_scripted_teleop = clam_ros.nodes.scripted_teleop_node:main",
        ],
    },
)
