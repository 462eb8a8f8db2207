"""Quest teleop node: serves the WebXR page over HTTPS, takes controller samples over a secure WebSocket
(pairing token required), and publishes joint commands through clutch mapping + IK at the control rate.
`backend:=oculus_reader` reads the Quest over ADB with the oculus_reader package instead.

Parameters: `backend` (webxr | oculus_reader), `bind_address`, `port`, `token` (empty: a random one),
`cert_dir`, `control_rate`, `sample_timeout` (s without samples = released), `joint_states_topic`,
`command_topic`.
Publishes `~/controller_pose` (PoseStamped) and `~/joy` (Joy: axes [trigger], buttons [grip, A, B]).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import numpy as np
import segno
from geometry_msgs.msg import PoseStamped
from rclpy.node import Node
from sensor_msgs.msg import JointState, Joy

from clam_ros.conversions import command_msg
from clam_ros.nodes.runner import now_seconds, run_node
from clam_ros.teleop.certificates import DEFAULT_DIR
from clam_ros.teleop.mapping import ClutchTeleop
from clam_ros.teleop.oculus_source import OculusReaderSource
from clam_ros.teleop.server import TeleopServer


class TeleopNode(Node):
    def __init__(self) -> None:
        super().__init__("teleop")
        control_rate = float(self.declare_parameter("control_rate", 5.0).value)
        self.sample_timeout = float(self.declare_parameter("sample_timeout", 0.5).value)
        backend = self.declare_parameter("backend", "webxr").value
        if backend == "webxr":
            token = self.declare_parameter("token", "").value or secrets.token_urlsafe(8)
            self.source = TeleopServer(
                self.declare_parameter("bind_address", "0.0.0.0").value,
                int(self.declare_parameter("port", 8443).value),
                token,
                Path(self.declare_parameter("cert_dir", str(DEFAULT_DIR)).value).expanduser(),
            )
        elif backend == "oculus_reader":
            self.source = OculusReaderSource()
        else:
            raise ValueError(f"unknown teleop backend {backend!r}; use 'webxr' or 'oculus_reader'")
        self.clutch = ClutchTeleop()
        self.joints: np.ndarray | None = None
        self._connection = 0
        self.create_subscription(
            JointState,
            self.declare_parameter("joint_states_topic", "/arm/joint_states").value,
            lambda msg: setattr(self, "joints", np.asarray(msg.position)),
            10,
        )
        self.command_pub = self.create_publisher(
            JointState, self.declare_parameter("command_topic", "/arm/joint_commands").value, 10
        )
        self.pose_pub = self.create_publisher(PoseStamped, "~/controller_pose", 10)
        self.joy_pub = self.create_publisher(Joy, "~/joy", 10)
        where = self.source.start()
        if backend == "webxr":
            print(f"teleop: open {where} in the Quest browser (pairing token: {token})", flush=True)
            print(segno.make(where, error="l").terminal(compact=True) or "", flush=True)
        else:
            print(f"teleop: reading {where}", flush=True)
        self.create_timer(1.0 / control_rate, self._tick)

    def _tick(self) -> None:
        latest = self.source.latest()
        if latest is None or self.joints is None:
            return
        sample, buttons, arrived, connection, press = latest
        # A new connection, or a headset gone quiet, releases the clutch: motion never continues from
        # reference poses captured in another session.
        quiet = time.monotonic() - arrived > self.sample_timeout
        if connection != self._connection or quiet:
            if self.clutch.engaged:
                reason = "the headset went quiet" if quiet else "a new connection"
                self.get_logger().info(f"clutch released: {reason}")
            self.clutch.release()
            self._connection = connection
            if quiet:
                return
        stamp = self.get_clock().now().to_msg()
        pose = PoseStamped()
        pose.header.stamp, pose.header.frame_id = stamp, "webxr_local"
        pose.pose.position.x, pose.pose.position.y, pose.pose.position.z = map(float, sample.position)
        q = pose.pose.orientation
        q.x, q.y, q.z, q.w = map(float, sample.orientation)
        self.pose_pub.publish(pose)
        joy = Joy(
            axes=[sample.trigger],
            buttons=[int(sample.grip), int(buttons.get("a", False)), int(buttons.get("b", False))],
        )
        joy.header.stamp = stamp
        self.joy_pub.publish(joy)
        was_engaged = self.clutch.engaged
        command = self.clutch.command(sample, self.joints, now_seconds(self), press)
        if self.clutch.engaged != was_engaged:
            self.get_logger().info(
                "clutch engaged" if self.clutch.engaged else "clutch released: grip let go"
            )
        self.command_pub.publish(command_msg(command, stamp))

    def close(self) -> None:
        self.source.stop()


def main(args: list[str] | None = None) -> None:
    run_node("teleop", TeleopNode, args)


if __name__ == "__main__":
    main()
