"""Closed-loop evaluation of a running policy graph in the twin, over ROS only.

Each episode: stop the policy, give the twin a new scene (`/arm/reset_scene`), wait for its status and
fresh camera frames, start the policy (`/policy/start`), and watch `/twin/task_status` until success is
latched or the policy has sent `episode_length` commands; then stop the policy again. The client spins its
node in a background thread; the caller's thread waits on plain state guarded by a lock.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import String
from std_srvs.srv import Trigger

from clam_ros.conversions import image_array
from clam_ros.nodes.arm_driver_node import TWIN_STATUS_TOPIC

SETTLE_SECONDS = 0.5  # after a reset: several camera frames of the new scene reach the policy
STATUS_LAG_SECONDS = 0.3  # the last command's effect shows in a status a control period later


@dataclass
class EpisodeResult:
    seed: int
    success: bool
    partial_success: bool
    commands: int
    seconds: float
    frames: list[np.ndarray] = field(default_factory=list)  # the watched camera, when asked for


class TwinEvaluationClient:
    def __init__(
        self,
        node: Node,
        reset_service: str = "/arm/reset_scene",
        policy: str = "/policy",
        command_topic: str = "/arm/joint_commands",
        frames_topic: str | None = None,
    ) -> None:
        self.node = node
        self.reset_client = node.create_client(Trigger, reset_service)
        self.start_client = node.create_client(Trigger, f"{policy}/start")
        self.stop_client = node.create_client(Trigger, f"{policy}/stop")
        self._lock = threading.Lock()
        self._status: dict | None = None
        self._commands = 0
        self._frames: list[np.ndarray] | None = None
        self._frames_topic = frames_topic
        self._frames_seen = 0
        node.create_subscription(String, TWIN_STATUS_TOPIC, self._on_status, 10)
        node.create_subscription(JointState, command_topic, self._on_command, 10)
        if frames_topic:
            node.create_subscription(Image, frames_topic, self._on_frame, qos_profile_sensor_data)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _on_status(self, msg: String) -> None:
        with self._lock:
            self._status = json.loads(msg.data)

    def _on_command(self, msg: JointState) -> None:
        with self._lock:
            self._commands += 1

    def _on_frame(self, msg: Image) -> None:
        with self._lock:
            self._frames_seen += 1
            if self._frames is not None:
                self._frames.append(image_array(msg).copy())

    def status(self) -> dict | None:
        with self._lock:
            return None if self._status is None else dict(self._status)

    def _wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(0.02)

    @staticmethod
    def _require_service(client, timeout: float) -> None:
        if not client.wait_for_service(timeout_sec=timeout):
            raise TimeoutError(f"service {client.srv_name} is not available")

    def _call(self, client, timeout: float) -> None:
        self._require_service(client, timeout)
        future = client.call_async(Trigger.Request())
        self._wait(future.done, timeout, f"{client.srv_name} to answer")
        if not future.result().success:
            raise RuntimeError(f"{client.srv_name} refused: {future.result().message}")

    def _frame_arrived(self) -> bool:
        with self._lock:
            return self._frames_seen > 0

    def wait_ready(self, timeout: float = 60.0) -> None:
        """The twin publishes its status, both services answer and, when frames are watched, a camera frame
        has arrived: the best-effort camera subscription can match later than the rest, and an episode
        started before it would keep no frames."""
        self._wait(lambda: self.status() is not None, timeout, f"{TWIN_STATUS_TOPIC}")
        if self._frames_topic:
            self._wait(self._frame_arrived, timeout, f"a frame on {self._frames_topic}")
        for client in (self.reset_client, self.start_client, self.stop_client):
            self._require_service(client, timeout)

    def run_episode(
        self, episode_length: int, keep_frames: bool = False, timeout: float = 120.0
    ) -> EpisodeResult:
        self._call(self.stop_client, timeout)
        before = self.status() or {}
        self._call(self.reset_client, timeout)
        self._wait(
            lambda: (self.status() or {}).get("seed") not in (None, before.get("seed")),
            timeout,
            "the new scene's status",
        )
        time.sleep(SETTLE_SECONDS)
        with self._lock:
            self._commands = 0
            self._frames = [] if keep_frames else None
        started = time.monotonic()
        self._call(self.start_client, timeout)

        def finished() -> bool:
            with self._lock:
                return bool(self._status and self._status["success"]) or self._commands >= episode_length

        self._wait(finished, timeout, f"the episode to end ({episode_length} commands)")
        self._call(self.stop_client, timeout)
        time.sleep(STATUS_LAG_SECONDS)
        with self._lock:
            status, commands, frames = dict(self._status or {}), self._commands, self._frames or []
            self._frames = None
        return EpisodeResult(
            int(status.get("seed", -1)),
            bool(status.get("success")),
            bool(status.get("partial_success")),
            commands,
            time.monotonic() - started,
            frames,
        )

    def close(self) -> None:
        self.executor.shutdown()
        self._thread.join(timeout=5)
        self.node.destroy_node()
