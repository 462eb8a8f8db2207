"""ROS 2 transport measurements on this machine, with real node processes over loopback DDS.

- Joint states: the sim arm driver's publishing rate (target >= 50 Hz) and inter-arrival p99.
- Images: 640x480 RGB at 30 Hz replayed from a numbered video through the camera node, received by a
  best-effort subscriber, with the shipped Fast DDS profile and with Fast DDS defaults.
Writes training/results/ros_transport.{json,md}.

    python training/bench_ros.py [--frames 150] [--joint_seconds 10]
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import draccus
import numpy as np

from clam_bringup.graph import PROFILE_ENV_VARS, NodeSpec, fastdds_profile
from clam_bringup.processes import start_node, stop_graph
from training.cli import parse_config
from training.results_io import write_results

WIDTH, HEIGHT, FPS = 640, 480, 30.0
BITS, BLOCK = 8, 40


@dataclass
class RosBenchConfig:
    frames: int = 150
    joint_seconds: float = 10.0


def write_numbered_video(path: Path, frames: int) -> None:
    """Each frame carries its index (mod 256) as black/white blocks along the top row (robust to MJPG)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    rng = np.random.default_rng(0)
    for index in range(frames):
        frame = rng.integers(60, 200, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        for bit in range(BITS):
            frame[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 255 if (index >> bit) & 1 else 0
        writer.write(frame)
    writer.release()


def frame_index(image: np.ndarray) -> int:
    means = [image[5 : BLOCK - 5, bit * BLOCK + 5 : (bit + 1) * BLOCK - 5].mean() for bit in range(BITS)]
    return sum(1 << bit for bit, mean in enumerate(means) if mean > 127)


def _receive(kind: str, topic: str, seconds: float, env: dict[str, str], results) -> None:
    """Child process: subscribe with this DDS environment and report arrival times (and frame indices)."""
    os.environ.update(env)
    import rclpy
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image, JointState

    rclpy.init()
    node = rclpy.create_node("bench_receiver")
    arrivals: list[tuple[float, int]] = []
    if kind == "image":

        def on_image(msg: Image) -> None:
            image = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.width, 3)
            arrivals.append((time.monotonic(), frame_index(image)))

        node.create_subscription(Image, topic, on_image, qos_profile_sensor_data)
    else:
        node.create_subscription(JointState, topic, lambda msg: arrivals.append((time.monotonic(), 0)), 50)
    deadline = None
    while deadline is None or time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if deadline is None and arrivals:
            deadline = arrivals[0][0] + seconds
    results.put(arrivals)
    node.destroy_node()
    rclpy.shutdown()


def _measure(kind: str, topic: str, spec: NodeSpec, seconds: float, env: dict[str, str], log: Path) -> list:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    receiver = context.Process(target=_receive, args=(kind, topic, seconds, env, results))
    receiver.start()
    node = start_node(spec, env={**os.environ, **env}, log_file=log)
    try:
        arrivals = results.get(timeout=seconds + 120)
    finally:
        receiver.join(timeout=30)
        stop_graph({"node": node})
    return arrivals


def main(cfg: RosBenchConfig) -> None:
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="bench_ros_"))
    shipped = {name: str(fastdds_profile()) for name in PROFILE_ENV_VARS}
    defaults = {name: "" for name in PROFILE_ENV_VARS}
    arm = NodeSpec("clam_ros", "clam_arm_driver", "arm_driver", "arm", {"backend": "sim"})
    arrivals = _measure("joint", "/arm/joint_states", arm, cfg.joint_seconds, shipped, work / "arm.log")
    times = np.array([t for t, _ in arrivals])
    gaps = np.diff(times)
    joint = {
        "messages": len(times),
        "seconds": round(float(times[-1] - times[0]), 2),
        "rate_hz": round((len(times) - 1) / float(times[-1] - times[0]), 1),
        "interarrival_p99_ms": round(float(np.percentile(gaps, 99) * 1e3), 1),
    }
    print(f"joint states: {joint['rate_hz']} Hz (p99 gap {joint['interarrival_p99_ms']} ms)")

    video = work / "numbered.avi"
    write_numbered_video(video, cfg.frames)
    rows = [
        ["joint states (sim arm driver)", "shipped", joint["rate_hz"], "", "", joint["interarrival_p99_ms"]]
    ]
    images = {}
    for label, env in (("shipped profile (16 MB SHM)", shipped), ("Fast DDS defaults", defaults)):
        camera = NodeSpec(
            "clam_ros",
            "clam_camera",
            "camera",
            "cameras/replay",
            {"backend": "webcam", "source": str(video), "fps": FPS, "wait_for_subscriber": True},
        )
        seconds = cfg.frames / FPS + 2.0
        received = _measure("image", "/cameras/replay/image_raw", camera, seconds, env, work / "camera.log")
        indices = [index for _, index in received]
        times = np.array([t for t, _ in received])
        rate = (len(times) - 1) / float(times[-1] - times[0]) if len(times) > 1 else 0.0
        images[label] = {
            "sent": cfg.frames,
            "received": len(indices),
            "lost": cfg.frames - len(set(indices)),
            "receive_rate_hz": round(rate, 1),
        }
        rows.append(
            ["640x480 rgb8 at 30 Hz, best effort", label, round(rate, 1), cfg.frames, len(indices), ""]
        )
        print(f"images with {label}: {len(indices)}/{cfg.frames} received")
    write_results(
        "ros_transport",
        "ROS 2 transport over loopback DDS (real node processes)",
        {
            "config": draccus.encode(cfg),
            "command": "python training/bench_ros.py",
            "joint_states": joint,
            "images": images,
            "wall_time_s": round(time.time() - started, 1),
        },
        ["stream", "Fast DDS", "rate (Hz)", "frames sent", "frames received", "p99 gap (ms)"],
        rows,
    )


if __name__ == "__main__":
    main(parse_config(RosBenchConfig))
