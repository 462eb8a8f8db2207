"""A test-side ROS node that records what the graph publishes (spun in a background thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PoseStamped
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, JointState


class Probe:
    def __init__(self, image_topics: tuple[str, ...] = ()) -> None:
        self.node = rclpy.create_node("test_probe")
        self.lock = threading.Lock()
        self.joint_states: list[tuple[float, np.ndarray]] = []
        self.commands: list[tuple[float, np.ndarray]] = []
        self.images: dict[str, list[float]] = {topic: [] for topic in image_topics}
        self.diagnostics: dict[str, dict[str, str]] = {}
        self.clients: dict[str, rclpy.client.Client] = {}
        self.node.create_subscription(JointState, "/arm/joint_states", self._record(self.joint_states), 50)
        self.node.create_subscription(JointState, "/arm/joint_commands", self._record(self.commands), 50)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.controller_poses: list[tuple[float, np.ndarray]] = []
        self.node.create_subscription(PoseStamped, "/teleop/controller_pose", self._on_pose, 10)
        for topic in image_topics:
            self.node.create_subscription(
                Image, topic, lambda msg, t=topic: self._on_image(t), qos_profile_sensor_data
            )
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _record(self, store: list) -> Callable[[JointState], None]:
        def callback(msg: JointState) -> None:
            with self.lock:
                store.append((time.monotonic(), np.asarray(msg.position)))

        return callback

    def _on_pose(self, msg: PoseStamped) -> None:
        p = msg.pose.position
        with self.lock:
            self.controller_poses.append((time.monotonic(), np.array([p.x, p.y, p.z])))

    def _on_image(self, topic: str) -> None:
        with self.lock:
            self.images[topic].append(time.monotonic())

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        with self.lock:
            for status in msg.status:
                self.diagnostics[status.name] = {kv.key: kv.value for kv in status.values}

    def latest_position(self) -> np.ndarray:
        with self.lock:
            return self.joint_states[-1][1].copy()

    def describe(self) -> str:
        """What the probe last saw, for assertion messages."""
        now = time.monotonic()
        with self.lock:
            parts = [f"spinning={self.thread.is_alive()}"]
            stores = (
                ("joint_states", self.joint_states),
                ("commands", self.commands),
                ("controller_poses", self.controller_poses),
            )
            for name, store in stores:
                if store:
                    stamp, values = store[-1]
                    parts.append(
                        f"{name}: {len(store)}, last {now - stamp:.2f} s ago = {values.round(4).tolist()}"
                    )
                else:
                    parts.append(f"{name}: none")
        return "; ".join(parts)

    def count(self, store: list) -> int:
        with self.lock:
            return len(store)

    def call(self, service_type, name: str, request, timeout: float = 30.0):
        if name not in self.clients:  # one client per service: a fresh one would rediscover the server
            self.clients[name] = self.node.create_client(service_type, name)
        client = self.clients[name]
        if not client.wait_for_service(timeout_sec=timeout):
            raise TimeoutError(f"service {name} did not appear")
        future = client.call_async(request)
        deadline = time.monotonic() + timeout
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not future.done():
            raise TimeoutError(f"service {name} did not answer")
        return future.result()

    def close(self) -> None:
        # Let the spin thread finish before destroying the node, so the node is not destroyed from that
        # thread when it lets go of it: seen once hanging in Fast DDS's participant teardown.
        self.executor.shutdown()
        self.thread.join(timeout=10)
        self.node.destroy_node()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
    """Poll `predicate`; on timeout fail with `what` (a callable is asked then, to describe the state)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")


class CameraListener:
    """Records every Image and CameraInfo a camera namespace publishes (sensor-data QoS), spun in a thread.
    Owns the rclpy context for the test that uses it."""

    def __init__(self, namespace: str) -> None:
        rclpy.init()
        self.node = rclpy.create_node("camera_listener")
        self.images: list[Image] = []
        self.infos: list[CameraInfo] = []
        self.node.create_subscription(
            Image, f"{namespace}/image_raw", self.images.append, qos_profile_sensor_data
        )
        self.node.create_subscription(
            CameraInfo, f"{namespace}/camera_info", self.infos.append, qos_profile_sensor_data
        )
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.executor.shutdown()
        self.thread.join(timeout=10)  # as in Probe.close
        self.node.destroy_node()
        rclpy.shutdown()
