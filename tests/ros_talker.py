"""A separate process for the ROS smoke test: publishes one String until a subscriber has matched and the
listener has answered back, so the message crosses a real process boundary over loopback DDS."""

import sys

import rclpy
from std_msgs.msg import String


def main() -> int:
    payload = sys.argv[1]
    rclpy.init()
    node = rclpy.create_node("clam_smoke_talker")
    publisher = node.create_publisher(String, "clam_smoke/ping", 10)
    acknowledged: list[str] = []
    node.create_subscription(String, "clam_smoke/pong", lambda msg: acknowledged.append(msg.data), 10)
    deadline = node.get_clock().now().nanoseconds + 60 * 10**9
    while not acknowledged and node.get_clock().now().nanoseconds < deadline:
        if publisher.get_subscription_count() > 0:
            publisher.publish(String(data=payload))
        rclpy.spin_once(node, timeout_sec=0.1)
    ok = bool(acknowledged) and acknowledged[0] == payload
    node.destroy_node()
    rclpy.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
