"""Record episodes: robot graph (real arm or twin) + the play recorder. Teleoperation publishes joint
commands on /arm/joint_commands; the recorder samples them with the observations at the control rate.

    ros2 launch clam_bringup record.launch.py [sim:=true] [task:=microwave] [kind:=play|expert]
                                              [operator:=name] [out_dir:=~/clam/bags]
Episodes: ros2 service call /recorder/start|accept|discard|next std_srvs/srv/Trigger
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from clam_bringup.graph import record_graph
from clam_bringup.launch_actions import graph_actions, is_true


def _nodes(context):
    sim = is_true(LaunchConfiguration("sim").perform(context))
    specs = record_graph(
        sim=sim,
        task=LaunchConfiguration("task").perform(context),
        kind=LaunchConfiguration("kind").perform(context),
        operator=LaunchConfiguration("operator").perform(context),
        out_dir=LaunchConfiguration("out_dir").perform(context) or None,
    )
    return graph_actions(specs, sim)


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("sim", default_value="false", description="use the MuJoCo kitchen twin"),
            DeclareLaunchArgument(
                "task", default_value="microwave", description="task label of the episodes"
            ),
            DeclareLaunchArgument("kind", default_value="play", description="play or expert"),
            DeclareLaunchArgument("operator", default_value="", description="who is teleoperating"),
            DeclareLaunchArgument(
                "out_dir", default_value="", description="bag folder (robot.yaml's if empty)"
            ),
            OpaqueFunction(function=_nodes),
        ]
    )
