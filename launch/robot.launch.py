"""The robot: arm driver (the real arm through Interbotix's xs_sdk, or the kitchen twin with sim:=true) and
the task's cameras.

    ros2 launch clam_bringup robot.launch.py [sim:=true] [task:=microwave]
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from clam_bringup.graph import robot_graph, robot_settings
from clam_bringup.launch_actions import interbotix_sdk, is_true, node_actions


def _nodes(context):
    sim = is_true(LaunchConfiguration("sim").perform(context))
    actions = node_actions(robot_graph(sim=sim, task=LaunchConfiguration("task").perform(context)))
    if not sim:
        robot = robot_settings()
        actions = interbotix_sdk(robot["robot_model"], robot["robot_name"]) + actions
    return actions


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("sim", default_value="false", description="use the MuJoCo kitchen twin"),
            DeclareLaunchArgument("task", default_value="microwave", description="whose cameras to start"),
            OpaqueFunction(function=_nodes),
        ]
    )
