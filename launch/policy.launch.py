"""Run a trained policy on the robot: robot graph + policy node configured from the task's YAML.

ros2 launch clam_bringup policy.launch.py task:=microwave [checkpoint:=/path] [sim:=true]
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from clam_bringup.graph import policy_graph
from clam_bringup.launch_actions import graph_actions, is_true


def _nodes(context):
    sim = is_true(LaunchConfiguration("sim").perform(context))
    specs = policy_graph(
        task=LaunchConfiguration("task").perform(context),
        checkpoint=LaunchConfiguration("checkpoint").perform(context) or None,
        sim=sim,
    )
    return graph_actions(specs, sim)


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("task", description="block, button, microwave or slide_pot"),
            DeclareLaunchArgument("checkpoint", default_value="", description="overrides the task YAML's"),
            DeclareLaunchArgument("sim", default_value="false", description="use the MuJoCo kitchen twin"),
            OpaqueFunction(function=_nodes),
        ]
    )
