"""Scripted teleop node (twin only): records `episodes` episodes with the twin's play controller or scripted
expert, driving the arm through `command_topic` and the recorder through its services, then exits 0.

Parameters: `task`, `kind` (play | expert), `episodes`, `episode_length`, `seed`, `control_rate`,
`joint_states_topic`, `command_topic`, `reset_service` (the sim driver's), `recorder` (its namespace).
"""

from __future__ import annotations

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import Trigger

from clam_ros.conversions import command_msg
from clam_ros.nodes.arm_driver_node import TWIN_STATE_TOPIC
from clam_ros.nodes.runner import now_seconds, run_node
from clam_ros.scripted_operator import ACCEPT, RESET, START, ScriptedOperator


class ScriptedTeleopNode(Node):
    def __init__(self) -> None:
        super().__init__("scripted_teleop")
        control_rate = float(self.declare_parameter("control_rate", 5.0).value)
        self.operator = ScriptedOperator(
            task=self.declare_parameter("task", "microwave").value,
            kind=self.declare_parameter("kind", "play").value,
            episodes=int(self.declare_parameter("episodes", 1).value),
            episode_length=int(self.declare_parameter("episode_length", 100).value),
            seed=int(self.declare_parameter("seed", 0).value),
        )
        recorder = self.declare_parameter("recorder", "/recorder").value
        self.clients_by_request = {
            RESET: self.create_client(
                Trigger, self.declare_parameter("reset_service", "/arm/reset_scene").value
            ),
            START: self.create_client(Trigger, f"{recorder}/start"),
            ACCEPT: self.create_client(Trigger, f"{recorder}/accept"),
        }
        self.command_pub = self.create_publisher(
            JointState, self.declare_parameter("command_topic", "/arm/joint_commands").value, 10
        )
        self.snapshot: tuple[float, np.ndarray] | None = None
        self.joints: np.ndarray | None = None
        self.create_subscription(Float64MultiArray, TWIN_STATE_TOPIC, self._on_snapshot, 10)
        self.create_subscription(
            JointState,
            self.declare_parameter("joint_states_topic", "/arm/joint_states").value,
            self._on_joints,
            10,
        )
        self.create_timer(1.0 / control_rate, self._tick)
        self.get_logger().info(
            f"scripted teleop: {self.operator.episodes} episodes of {self.operator.episode_length} steps"
        )

    def _on_snapshot(self, msg: Float64MultiArray) -> None:
        self.snapshot = (now_seconds(self), np.asarray(msg.data))

    def _on_joints(self, msg: JointState) -> None:
        self.joints = np.asarray(msg.position)

    def _tick(self) -> None:
        tick = self.operator.tick(now_seconds(self), self.snapshot, self.joints)
        if tick.command is not None:
            self.command_pub.publish(command_msg(tick.command, self.get_clock().now().to_msg()))
        if tick.request is not None:
            self._call(tick.request)
        if self.operator.done:
            self.get_logger().info(f"recorded {self.operator.completed} episodes; done")
            raise SystemExit(0)

    def _call(self, request: str) -> None:
        client = self.clients_by_request[request]
        if not client.service_is_ready():
            self.operator.on_response(request, False, now_seconds(self))  # retried after a pause
            return
        future = client.call_async(Trigger.Request())

        def done(result) -> None:
            response = result.result()
            self.operator.on_response(request, bool(response.success), now_seconds(self))
            if response.success:  # two call sites: rclpy refuses one call site with two severities
                self.get_logger().info(f"{request}: {response.message}")
            else:
                self.get_logger().warn(f"{request}: {response.message}")

        future.add_done_callback(done)


def main(args: list[str] | None = None) -> None:
    run_node("scripted_teleop", ScriptedTeleopNode, args)


if __name__ == "__main__":
    main()
