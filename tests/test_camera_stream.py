"""Camera nodes as real processes: 640x480 RGB at 30 Hz crosses loopback DDS without a lost frame when the
shipped Fast DDS profile (large shared-memory segment) is used, and CameraInfo matches the images."""

from __future__ import annotations

import time
from pathlib import Path

from ros_probe import CameraListener, wait_until

from clam_bringup.graph import NodeSpec
from clam_bringup.processes import start_node
from clam_ros.conversions import image_array
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
    listener = CameraListener("/cameras/replay")
    process = start_node(spec, log_file=tmp_path / "camera.log")
    try:
        wait_until(lambda: len(listener.images) >= FRAMES or process.poll() is not None, 90, "all frames")
        time.sleep(0.5)  # anything still in flight
    finally:
        process.terminate()
        process.wait(timeout=10)
        listener.close()
    received = [frame_index(image_array(msg)) for msg in listener.images]
    stamps = [msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9 for msg in listener.images]
    assert received == list(range(FRAMES)), f"lost {sorted(set(range(FRAMES)) - set(received))}"
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert 25.0 < rate < 35.0  # stamped at the camera's 30 Hz
    info = listener.infos[-1]
    assert (info.width, info.height, info.header.frame_id) == (WIDTH, HEIGHT, "replay_optical_frame")
    assert info.k[0] > 0 and info.k[2] == (WIDTH - 1) / 2
