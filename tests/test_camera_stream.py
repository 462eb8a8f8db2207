"""Camera nodes as real processes: 640x480 RGB at 30 Hz crosses loopback DDS without a lost frame when the
shipped Fast DDS profile (large shared-memory segment) is used, and CameraInfo matches the images."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from ros_probe import wait_until
from sensor_msgs.msg import CameraInfo, Image

from clam_bringup.graph import NodeSpec
from clam_bringup.processes import start_node
from training.bench_ros import FPS, HEIGHT, WIDTH, frame_index, write_numbered_video

FRAMES = 90


def test_640x480_at_30hz_arrive_without_loss(tmp_path: Path) -> None:
    video = tmp_path / "numbered.avi"
    write_numbered_video(video, FRAMES)
    spec = NodeSpec(
        "clam_ros",
        "clam_camera",
        "camera",
        "cameras/replay",
        {
            "backend": "webcam",
            "source": str(video),
            "fps": FPS,
            "frame_id": "replay_optical_frame",
            "wait_for_subscriber": True,
        },
    )
    rclpy.init()
    node = rclpy.create_node("image_counter")
    received: list[int] = []
    infos: list[CameraInfo] = []
    stamps: list[float] = []

    def on_image(msg: Image) -> None:
        image = np.frombuffer(msg.data, dtype=np.uint8).reshape(msg.height, msg.width, 3)
        received.append(frame_index(image))
        stamps.append(msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9)

    node.create_subscription(Image, "/cameras/replay/image_raw", on_image, qos_profile_sensor_data)
    node.create_subscription(CameraInfo, "/cameras/replay/camera_info", infos.append, qos_profile_sensor_data)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    process = start_node(spec, log_file=tmp_path / "camera.log")
    try:
        wait_until(lambda: len(received) >= FRAMES or process.poll() is not None, 90, "all frames")
        time.sleep(0.5)  # anything still in flight
    finally:
        process.terminate()
        process.wait(timeout=10)
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown()
    assert received == list(range(FRAMES)), f"lost {sorted(set(range(FRAMES)) - set(received))}"
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert 25.0 < rate < 35.0  # stamped at the camera's 30 Hz
    info = infos[-1]
    assert (info.width, info.height, info.header.frame_id) == (WIDTH, HEIGHT, "replay_optical_frame")
    assert info.k[0] > 0 and info.k[2] == (WIDTH - 1) / 2
