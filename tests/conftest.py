"""Test-wide environment: loopback-only DDS, a throwaway ROS log dir, no hub access, offscreen MuJoCo.

Set at import time so that every module the tests import (rclpy, huggingface_hub, mujoco) sees them.
"""

import os
import tempfile

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="clam-roslog-"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("MUJOCO_GL", "egl")
