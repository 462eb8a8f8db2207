"""Turn `NodeSpec`s into `launch_ros` actions (imported only inside `ros2 launch`)."""

from __future__ import annotations

from clam_bringup.graph import PROFILE_ENV_VARS, NodeSpec, fastdds_profile, robot_settings


def node_actions(specs: list[NodeSpec]) -> list:
    from launch.actions import SetEnvironmentVariable
    from launch_ros.actions import Node

    actions: list = [SetEnvironmentVariable(name, str(fastdds_profile())) for name in PROFILE_ENV_VARS]
    actions += [
        Node(
            package=spec.package,
            executable=spec.executable,
            name=spec.name,
            namespace=spec.namespace,
            parameters=[spec.parameters],
            output="screen",
            emulate_tty=True,
        )
        for spec in specs
    ]
    return actions


def interbotix_sdk(robot_model: str, robot_name: str) -> list:
    """Interbotix's xs_sdk for the real arm (its `xsarm_control.launch.py`), without RViz."""
    from ament_index_python.packages import get_package_share_directory
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource

    launch_file = f"{get_package_share_directory('interbotix_xsarm_control')}/launch/xsarm_control.launch.py"
    arguments = {"robot_model": robot_model, "robot_name": robot_name, "use_rviz": "false"}
    return [
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(launch_file), launch_arguments=arguments.items()
        )
    ]


def graph_actions(specs: list[NodeSpec], sim: bool) -> list:
    """The graph's nodes, preceded on the real arm by Interbotix's xs_sdk, which the arm driver talks to."""
    actions = node_actions(specs)
    if not sim:
        robot = robot_settings()
        actions = interbotix_sdk(robot["robot_model"], robot["robot_name"]) + actions
    return actions


def is_true(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes", "on")
