"""Play recorder node: episode bags of joint states, camera images and commanded actions at the control rate.

Parameters: `out_dir`, `kind` (play | expert), `task`, `operator`, `camera_names`, `camera_topic` ({name}
template), `joint_states_topic`, `command_topic`, `control_rate`, `min_free_gb`.
Services: `~/start`, `~/accept`, `~/discard`, `~/next` (Trigger). The headset's buttons (sensor_msgs/Joy on
`joy_topic`, indices `accept_button` and `discard_button`): accept starts an episode when idle and accepts
it while recording; discard throws the current one away.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState, Joy
from std_srvs.srv import Trigger

from clam_ros.conversions import command_values, image_array
from clam_ros.nodes.runner import now_seconds, run_node
from clam_ros.recorder import EpisodeRecorder


class RecorderNode(Node):
    def __init__(self) -> None:
        super().__init__("recorder")
        control_rate = float(self.declare_parameter("control_rate", 5.0).value)
        cameras = list(self.declare_parameter("camera_names", Parameter.Type.STRING_ARRAY).value or [])
        camera_topic = self.declare_parameter("camera_topic", "/cameras/{name}/image_raw").value
        self.recorder = EpisodeRecorder(
            out_dir=Path(self.declare_parameter("out_dir", "~/clam/bags").value).expanduser(),
            kind=self.declare_parameter("kind", "play").value,
            task=self.declare_parameter("task", "").value,
            operator=self.declare_parameter("operator", "").value,
            cameras=cameras,
            control_period=1.0 / control_rate,
            min_free_bytes=int(float(self.declare_parameter("min_free_gb", 2.0).value) * 1e9),
        )
        self.create_subscription(
            JointState,
            self.declare_parameter("joint_states_topic", "/arm/joint_states").value,
            self._on_state,
            10,
        )
        self.create_subscription(
            JointState,
            self.declare_parameter("command_topic", "/arm/joint_commands").value,
            self._on_command,
            10,
        )
        for name in cameras:
            self.create_subscription(
                Image,
                camera_topic.format(name=name),
                lambda msg, cam=name: self.recorder.on_image(cam, image_array(msg), now_seconds(self)),
                qos_profile_sensor_data,
            )
        self.accept_button = int(self.declare_parameter("accept_button", 1).value)
        self.discard_button = int(self.declare_parameter("discard_button", 2).value)
        self.create_subscription(
            Joy, self.declare_parameter("joy_topic", "/teleop/joy").value, self._on_joy, 10
        )
        for service, action in (
            ("~/start", lambda: self.recorder.start(now_seconds(self))),
            ("~/next", lambda: self.recorder.next(now_seconds(self))),
            ("~/accept", lambda: self.recorder.finish(True)),
            ("~/discard", lambda: self.recorder.finish(False)),
        ):
            self.create_service(Trigger, service, lambda req, res, act=action: self._answer(res, act))
        self.create_timer(1.0 / control_rate, lambda: self.recorder.tick(now_seconds(self)))
        self.get_logger().info(f"recorder up: {self.recorder.kind} episodes into {self.recorder.out_dir}")

    def _on_state(self, msg: JointState) -> None:
        self.recorder.on_state(np.asarray(msg.position, np.float32), now_seconds(self))

    def _on_command(self, msg: JointState) -> None:
        values = command_values(msg)
        if values is not None and values.shape == (7,):
            self.recorder.on_command(values.astype(np.float32), now_seconds(self))

    def _on_joy(self, msg: Joy) -> None:
        buttons = list(msg.buttons)
        pressed = [
            index < len(buttons) and bool(buttons[index])
            for index in (self.accept_button, self.discard_button)
        ]
        outcome = self.recorder.on_buttons(*pressed, now_seconds(self))
        if outcome is not None:
            self._report(*outcome)

    def _answer(self, response: Trigger.Response, action) -> Trigger.Response:
        response.success, response.message = action()
        self._report(response.success, response.message)
        return response

    def _report(self, ok: bool, message: str) -> None:
        # Separate call sites: rclpy refuses one call site logging at two severities.
        if ok:
            self.get_logger().info(message)
        else:
            self.get_logger().warning(message)

    def close(self) -> None:
        self.recorder.abort()


def main(args: list[str] | None = None) -> None:
    run_node("recorder", RecorderNode, args)


if __name__ == "__main__":
    main()
