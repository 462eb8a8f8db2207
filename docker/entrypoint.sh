#!/usr/bin/env bash
# Sources ROS 2, the Interbotix workspace and this project's workspace, then runs the given command.
set -e
source "/opt/ros/${ROS_DISTRO}/setup.bash"
source /opt/interbotix_ws/install/setup.bash
source /opt/clam/ros2_ws/install/setup.bash
profile="$(ros2 pkg prefix clam_bringup)/share/clam_bringup/config/fastdds_large_images.xml"
export FASTRTPS_DEFAULT_PROFILES_FILE="${FASTRTPS_DEFAULT_PROFILES_FILE:-$profile}"
export FASTDDS_DEFAULT_PROFILES_FILE="${FASTDDS_DEFAULT_PROFILES_FILE:-$profile}"
exec "$@"
