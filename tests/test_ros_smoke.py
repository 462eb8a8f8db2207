"""A broken ROS 2 install must fail CI: a message travels between two real processes over loopback DDS."""

import subprocess
import sys
import time
from pathlib import Path

import rclpy
from std_msgs.msg import String


def test_message_crosses_process_boundary() -> None:
    payload = f"clam-{time.time_ns()}"
    talker = subprocess.Popen([sys.executable, str(Path(__file__).with_name("ros_talker.py")), payload])
    rclpy.init()
    try:
        node = rclpy.create_node("clam_smoke_listener")
        received: list[str] = []
        node.create_subscription(String, "clam_smoke/ping", lambda msg: received.append(msg.data), 10)
        pong = node.create_publisher(String, "clam_smoke/pong", 10)
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            rclpy.spin_once(node, timeout_sec=0.1)
        assert received and received[0] == payload
        while talker.poll() is None and time.monotonic() < deadline:
            if pong.get_subscription_count() > 0:
                pong.publish(String(data=received[0]))
            rclpy.spin_once(node, timeout_sec=0.1)
        assert talker.wait(timeout=10) == 0, "talker did not get the answer back"
        node.destroy_node()
    finally:
        if talker.poll() is None:
            talker.kill()
        rclpy.shutdown()
