"""The robot: arm driver (the real arm through Interbotix's xs_sdk, or the kitchen twin with sim:=true) and
the task's cameras.

    ros2 launch clam_bringup robot.launch.py [sim:=true] [task:=microwave]
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from clam_bringup.graph import robot_graph
from clam_bringup.launch_actions import graph_actions, is_true


def _nodes(context):
    sim = is_true(LaunchConfiguration("sim").perform(context))
    return graph_actions(robot_graph(sim=sim, task=LaunchConfiguration("task").perform(context)), sim)


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("sim", default_value="false", description="use the MuJoCo kitchen twin"),
            DeclareLaunchArgument("task", default_value="microwave", description="whose cameras to start"),
            OpaqueFunction(function=_nodes),
        ]
    )
