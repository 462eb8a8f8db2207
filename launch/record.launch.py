"""Record episodes: robot graph (real arm or twin) + Quest teleop + the play recorder. The teleop node
publishes joint commands on /arm/joint_commands; the recorder samples them with the observations at the
control rate.

    ros2 launch clam_bringup record.launch.py [sim:=true] [task:=microwave] [kind:=play|expert]
        [operator:=name] [out_dir:=~/clam/bags] [teleop:=true] [bind_address:=0.0.0.0] [port:=8443]
Open the URL the teleop node prints in the Quest browser. Episodes: A starts / accepts, B discards, or
    ros2 service call /recorder/start|accept|discard|next std_srvs/srv/Trigger
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from clam_bringup.graph import record_graph
from clam_bringup.launch_actions import graph_actions, is_true


def _teleop_overrides(context) -> dict:
    """Launch arguments given on the command line win over robot.yaml's teleop settings."""
    overrides = {"enabled": is_true(LaunchConfiguration("teleop").perform(context))}
    for key in ("bind_address", "port"):
        value = LaunchConfiguration(key).perform(context)
        if value:
            overrides[key] = int(value) if key == "port" else value
    return overrides


def _nodes(context):
    sim = is_true(LaunchConfiguration("sim").perform(context))
    specs = record_graph(
        sim=sim,
        task=LaunchConfiguration("task").perform(context),
        kind=LaunchConfiguration("kind").perform(context),
        operator=LaunchConfiguration("operator").perform(context),
        out_dir=LaunchConfiguration("out_dir").perform(context) or None,
        teleop=_teleop_overrides(context),
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
            DeclareLaunchArgument("teleop", default_value="true", description="start the Quest teleop node"),
            DeclareLaunchArgument(
                "bind_address", default_value="", description="teleop server address (robot.yaml's if empty)"
            ),
            DeclareLaunchArgument(
                "port", default_value="", description="teleop HTTPS port (robot.yaml's if empty)"
            ),
            OpaqueFunction(function=_nodes),
        ]
    )
