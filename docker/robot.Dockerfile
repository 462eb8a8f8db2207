# Robot computer image: ROS 2 + the Interbotix X-series arm stack + this project's clam_ros/clam_bringup.
#   docker build -f docker/robot.Dockerfile -t clam-robot .        (from the repository root)
# ROS_DISTRO defaults to humble, the distribution the Interbotix X-series ROS 2 packages support.
ARG ROS_DISTRO=humble
FROM ros:${ROS_DISTRO}-ros-base

ARG ROS_DISTRO
ENV ROS_DISTRO=${ROS_DISTRO} \
    DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    MUJOCO_GL=egl \
    HF_HUB_OFFLINE=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Build tools, USB access for the U2D2 and the RealSense, EGL for the twin's cameras, FFmpeg for video.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        build-essential git python3-pip python3-colcon-common-extensions python3-rosdep udev \
        libusb-1.0-0 libegl1 libgl1 libgles2 ffmpeg \
        "ros-${ROS_DISTRO}-launch-ros" "ros-${ROS_DISTRO}-diagnostic-msgs" \
    && rm -rf /var/lib/apt/lists/*

# The Interbotix X-series arm packages, cloned and built with colcon as Interbotix's install script does:
# the three repositories on the distribution's branch, the driver submodules, rosdep, colcon.
WORKDIR /opt/interbotix_ws/src
RUN git clone -b "${ROS_DISTRO}" https://github.com/Interbotix/interbotix_ros_core.git \
    && git clone -b "${ROS_DISTRO}" https://github.com/Interbotix/interbotix_ros_manipulators.git \
    && git clone -b "${ROS_DISTRO}" https://github.com/Interbotix/interbotix_ros_toolboxes.git \
    && git -C interbotix_ros_core submodule update --init \
        interbotix_ros_xseries/dynamixel_workbench_toolbox interbotix_ros_xseries/interbotix_xs_driver \
    && cp interbotix_ros_core/interbotix_ros_xseries/interbotix_xs_sdk/99-interbotix-udev.rules /etc/udev/rules.d/
WORKDIR /opt/interbotix_ws
RUN apt-get update \
    && (rosdep init || true) \
    && rosdep update --rosdistro "${ROS_DISTRO}" \
    && rosdep install --from-paths src --ignore-src -r -y --rosdistro "${ROS_DISTRO}" \
    && rm -rf /var/lib/apt/lists/* \
    && source "/opt/ros/${ROS_DISTRO}/setup.bash" \
    && colcon build --packages-up-to interbotix_xsarm_control interbotix_xs_modules

# This project: clam_core from its pinned requirements, then clam_ros and clam_bringup with colcon.
WORKDIR /opt/clam
COPY docker/requirements-robot.txt docker/requirements-robot.txt
RUN python3 -m pip install -r docker/requirements-robot.txt
COPY pyproject.toml README.md ./
COPY clam_core clam_core
COPY training training
COPY launch launch
COPY ros2_ws/src ros2_ws/src
RUN python3 -m pip install --no-deps . \
    && source "/opt/ros/${ROS_DISTRO}/setup.bash" \
    && source /opt/interbotix_ws/install/setup.bash \
    && colcon build --base-paths ros2_ws/src --build-base ros2_ws/build --install-base ros2_ws/install

COPY docker/entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
CMD ["ros2", "launch", "clam_bringup", "robot.launch.py"]
