"""Arm driver node: joint states out (>= 50 Hz), joint commands in, through the safety filter.

Topics (relative to the robot namespace): `joint_states` (out), `joint_commands` (in, sensor_msgs/JointState),
`estop` (in, std_msgs/Bool: true engages). Services: `go_home`, `go_sleep` (Trigger), `torque_enable`
(SetBool), `estop` (SetBool: true engages, false releases). The sim backend also publishes `/twin/state`
for the twin's camera nodes and scripted operators, `/twin/task_status` (JSON: success, partial_success,
seed; latched since the last reset) for evaluations, and offers `reset_scene` (Trigger: a new kitchen
layout from the next seed, arm at its start pose, holding).
"""

from __future__ import annotations

import json

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray, String
from std_srvs.srv import SetBool, Trigger

from clam_ros.arm_backends import InterbotixArm, TwinArm, home_target, sleep_target
from clam_ros.arm_driver import ArmDriver
from clam_ros.conversions import command_values, joint_state_msg
from clam_ros.nodes.runner import now_seconds, run_node
from clam_ros.safety import SafetyLimits

TWIN_STATE_TOPIC = "/twin/state"
TWIN_STATUS_TOPIC = "/twin/task_status"


class ArmDriverNode(Node):
    def __init__(self) -> None:
        super().__init__("arm_driver")
        backend_name = self.declare_parameter("backend", "sim").value
        control_rate = float(self.declare_parameter("control_rate", 5.0).value)
        publish_rate = float(self.declare_parameter("publish_rate", 50.0).value)
        command_timeout = float(self.declare_parameter("command_timeout", 2.0 / control_rate).value)
        if backend_name == "sim":
            self.backend = TwinArm(
                self.declare_parameter("task", "microwave").value,
                int(self.declare_parameter("seed", 0).value),
            )
        elif backend_name == "interbotix":
            robot_model = self.declare_parameter("robot_model", "wx250s").value
            robot_name = self.declare_parameter("robot_name", robot_model).value
            self.backend = InterbotixArm(robot_model, robot_name, moving_time=1.0 / control_rate)
        else:
            raise ValueError(f"unknown backend {backend_name!r}; use 'sim' or 'interbotix'")
        self.driver = ArmDriver(
            self.backend, SafetyLimits.wx250s(control_rate), 1.0 / control_rate, stale_after=command_timeout
        )
        self.period = 1.0 / publish_rate
        self.state_pub = self.create_publisher(JointState, "joint_states", 10)
        self.diagnostics_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.twin_pub = self.status_pub = None
        if isinstance(self.backend, TwinArm):
            self.twin_pub = self.create_publisher(Float64MultiArray, TWIN_STATE_TOPIC, 10)
            self.status_pub = self.create_publisher(String, TWIN_STATUS_TOPIC, 10)
            self.create_service(Trigger, "reset_scene", self._on_reset_scene)
        self.create_subscription(JointState, "joint_commands", self._on_command, 10)
        self.create_subscription(Bool, "estop", self._on_estop_topic, 10)
        self.create_service(Trigger, "go_home", lambda req, res: self._move(res, "home", home_target()))
        self.create_service(Trigger, "go_sleep", lambda req, res: self._move(res, "sleep", sleep_target()))
        self.create_service(SetBool, "torque_enable", self._on_torque)
        self.create_service(SetBool, "estop", self._on_estop_service)
        self.create_timer(self.period, self._tick)
        self.create_timer(1.0, self._publish_diagnostics)
        self.get_logger().info(
            f"arm driver up: backend={backend_name}, {publish_rate:g} Hz state, "
            f"commands stale after {command_timeout:g} s"
        )

    def _on_command(self, msg: JointState) -> None:
        verdict = self.driver.command(command_values(msg), now_seconds(self))
        if verdict.startswith(("rejected", "blocked")):
            self.get_logger().warn(f"command {verdict}", throttle_duration_sec=1.0)

    def _on_estop_topic(self, msg: Bool) -> None:
        if msg.data and not self.driver.estop_engaged:
            self.driver.engage_estop()
            self.get_logger().error("E-STOP engaged (topic); release with the estop service")

    def _on_estop_service(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        if request.data:
            self.driver.engage_estop()
            self.get_logger().error("E-STOP engaged; all commands blocked until released")
        else:
            self.driver.release_estop()
            self.get_logger().info("e-stop released: holding position")
        response.success, response.message = True, f"estop={'engaged' if request.data else 'released'}"
        return response

    def _on_torque(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self.driver.set_torque(request.data)
        response.success, response.message = True, f"torque {'on' if request.data else 'off'}"
        return response

    def _on_reset_scene(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.driver.estop_engaged:
            response.success, response.message = False, "refused: e-stop engaged"
            return response
        seed = self.backend.reset_scene()
        self.driver.hold()  # the arm jumped to its start pose: that is the new target
        response.success, response.message = True, f"scene reset with seed {seed}"
        return response

    def _move(self, response: Trigger.Response, name: str, target) -> Trigger.Response:
        response.success, response.message = self.driver.move_to(name, target)
        return response

    def _tick(self) -> None:
        self.driver.tick(now_seconds(self))
        self.backend.advance(self.period)
        positions, velocities = self.backend.read()
        self.state_pub.publish(joint_state_msg(positions, velocities, self.get_clock().now().to_msg()))
        if self.twin_pub is not None:
            self.twin_pub.publish(Float64MultiArray(data=self.backend.snapshot().tolist()))
            status = {**self.backend.task_status(), "seed": self.backend.seed}
            self.status_pub.publish(String(data=json.dumps(status)))

    def _publish_diagnostics(self) -> None:
        driver = self.driver
        values = {
            "estop": driver.estop_engaged,
            "torque": driver.torque_enabled,
            "holding": driver.holding,
            "moving_to": driver.moving_to,
            "last_command": driver.last_verdict,
        }
        level = DiagnosticStatus.ERROR if driver.estop_engaged else DiagnosticStatus.OK
        status = DiagnosticStatus(
            level=level,
            name="arm_driver",
            hardware_id=self.get_namespace(),
            message="e-stop engaged" if driver.estop_engaged else "ok",
            values=[KeyValue(key=k, value=str(v)) for k, v in values.items()],
        )
        msg = DiagnosticArray(status=[status])
        msg.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_pub.publish(msg)

    def close(self) -> None:
        self.backend.close()


def main(args: list[str] | None = None) -> None:
    run_node("arm_driver", ArmDriverNode, args)


if __name__ == "__main__":
    main()
