"""Policy node: runs a trained checkpoint at the control rate, camera and joint inputs -> joint commands.

Parameters: `checkpoint` (required), `control_rate` (5 Hz), `ensemble_coeff` (< 0: the checkpoint's),
`camera_names` (watched and fed to the agent as observation.images.<name>), `camera_topic` (a template with
{name}), `joint_states_topic`, `command_topic`, `episode_length`, `autostart`, `device`, `torch_threads`
(1: inference does not compete with the camera drivers and the arm driver for the cores;
0: torch's default).
Services: `~/start`, `~/stop` (Trigger). Diagnostics on /diagnostics: inference latency and loop jitter.
A command's header stamp is the instant its observation was read, so a subscriber measures the
observation-to-command latency as its receive time minus the stamp.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import Trigger

from clam_core.inference import LatentActionAgent
from clam_core.keys import IMAGE_KEY_PREFIX, STATE_KEY
from clam_ros.conversions import command_msg, image_array
from clam_ros.nodes.runner import now_seconds, run_node
from clam_ros.policy_runner import PolicyRunner


class PolicyNode(Node):
    def __init__(self) -> None:
        super().__init__("policy")
        checkpoint = str(self.declare_parameter("checkpoint", "").value)
        if not checkpoint:
            raise ValueError("parameter 'checkpoint' is required (a checkpoint folder)")
        control_rate = float(self.declare_parameter("control_rate", 5.0).value)
        coeff = float(self.declare_parameter("ensemble_coeff", -1.0).value)
        cameras = list(self.declare_parameter("camera_names", Parameter.Type.STRING_ARRAY).value or [])
        camera_topic = self.declare_parameter("camera_topic", "/cameras/{name}/image_raw").value
        joint_topic = self.declare_parameter("joint_states_topic", "/arm/joint_states").value
        command_topic = self.declare_parameter("command_topic", "/arm/joint_commands").value
        episode_length = int(self.declare_parameter("episode_length", 100).value)
        device = self.declare_parameter("device", "cpu").value
        threads = int(self.declare_parameter("torch_threads", 1).value)
        if threads > 0:
            torch.set_num_threads(threads)
        self.agent = LatentActionAgent.load(
            Path(checkpoint).expanduser(), device=device, ensemble_coeff=None if coeff < 0 else coeff
        )
        self.runner = PolicyRunner(
            self.agent.act, self.agent.reset, 1.0 / control_rate, cameras, episode_length
        )
        self.command_pub = self.create_publisher(JointState, command_topic, 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(JointState, joint_topic, self._on_joint_state, 10)
        for name in cameras:
            self.create_subscription(
                Image,
                camera_topic.format(name=name),
                lambda msg, key=IMAGE_KEY_PREFIX + name: self._on_image(key, msg),
                qos_profile_sensor_data,
            )
        self.create_service(Trigger, "~/start", self._on_start)
        self.create_service(Trigger, "~/stop", self._on_stop)
        self.create_timer(1.0 / control_rate, self._tick)
        self.create_timer(1.0, self._publish_diagnostics)
        if self.declare_parameter("autostart", True).value:
            self.runner.start()
        self.get_logger().info(f"policy up: {checkpoint} at {control_rate:g} Hz, cameras {cameras}")

    def _on_joint_state(self, msg: JointState) -> None:
        self.runner.on_input(STATE_KEY, np.asarray(msg.position, dtype=np.float32), now_seconds(self))

    def _on_image(self, key: str, msg: Image) -> None:
        self.runner.on_input(key, image_array(msg), now_seconds(self))

    def _on_start(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.runner.start()
        response.success, response.message = True, "policy started"
        return response

    def _on_stop(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.runner.stop()
        response.success, response.message = True, "policy stopped"
        return response

    def _tick(self) -> None:
        previous = self.runner.status
        observed = self.get_clock().now()
        tick = self.runner.tick(observed.nanoseconds * 1e-9)
        if tick.command is not None:
            self.command_pub.publish(command_msg(tick.command, observed.to_msg()))
        if tick.status != previous:
            self.get_logger().info(f"policy: {tick.status}")

    def _publish_diagnostics(self) -> None:
        stats = self.runner.stats()
        level = (
            DiagnosticStatus.OK
            if stats["status"] in ("running", "stopped", "episode done")
            else (DiagnosticStatus.WARN)
        )
        status = DiagnosticStatus(
            level=level,
            name="policy",
            message=str(stats["status"]),
            values=[KeyValue(key=k, value=str(v)) for k, v in stats.items()],
        )
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(msg)


def main(args: list[str] | None = None) -> None:
    run_node("policy", PolicyNode, args)


if __name__ == "__main__":
    main()
