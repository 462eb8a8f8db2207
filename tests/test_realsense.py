"""The RealSense backend through the real `rs.pipeline` code path: a software device is recorded with
`rs.recorder` and played back from the file (no camera needed), both ROS-free and through the camera node."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrealsense2 as rs
import pytest
from ros_probe import CameraListener, wait_until

from clam_bringup.graph import NodeSpec
from clam_bringup.processes import start_node, stop_graph
from clam_ros.camera_backends import RealSenseCamera

WIDTH, HEIGHT, FX, FY, CX, CY = 320, 240, 300.0, 301.0, 160.0, 120.0


def record_software_realsense(path: Path, frames: int) -> None:
    """Frame i is uniformly grey level 10 * i; the colour stream has known intrinsics."""
    device = rs.software_device()
    sensor = device.add_sensor("Color")
    intrinsics = rs.intrinsics()
    intrinsics.width, intrinsics.height = WIDTH, HEIGHT
    intrinsics.fx, intrinsics.fy, intrinsics.ppx, intrinsics.ppy = FX, FY, CX, CY
    intrinsics.model, intrinsics.coeffs = rs.distortion.none, [0.0] * 5
    stream = rs.video_stream()
    stream.type, stream.index, stream.uid = rs.stream.color, 0, 0
    stream.width, stream.height, stream.fps, stream.bpp = WIDTH, HEIGHT, 30, 3
    stream.fmt, stream.intrinsics = rs.format.rgb8, intrinsics
    profile = sensor.add_video_stream(stream)
    recorder = rs.recorder(str(path), device)
    recorded = recorder.query_sensors()[0]
    queue = rs.frame_queue(frames + 1)
    recorded.open(profile)
    recorded.start(queue)
    for index in range(frames):
        frame = rs.software_video_frame()
        frame.pixels = np.full((HEIGHT, WIDTH, 3), 10 * index, np.uint8)
        frame.stride, frame.bpp, frame.frame_number = WIDTH * 3, 3, index
        frame.timestamp, frame.domain = index * 1000 / 30, rs.timestamp_domain.hardware_clock
        frame.profile = profile.as_video_stream_profile()
        sensor.on_video_frame(frame)
        queue.wait_for_frame(1000)
    recorded.stop()
    recorded.close()
    del recorder  # closes the file


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("realsense") / "color.db3"
    record_software_realsense(path, frames=20)
    return path


def test_playback_through_the_pipeline(recording: Path) -> None:
    camera = RealSenseCamera(playback_file=str(recording), timeout_ms=500)
    intr = camera.intrinsics
    assert (intr.width, intr.height, intr.fx, intr.fy, intr.cx, intr.cy) == (WIDTH, HEIGHT, FX, FY, CX, CY)
    levels = []
    while (frame := camera.read()) is not None:
        assert frame.shape == (HEIGHT, WIDTH, 3) and frame.dtype == np.uint8
        levels.append(int(frame[0, 0, 0]))
    camera.close()
    # Every recorded frame, in order: playback must not run ahead of the reader, even on a loaded machine.
    assert levels == [10 * i for i in range(20)]


def test_missing_recording_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.db3"):
        RealSenseCamera(playback_file=str(tmp_path / "nope.db3"))


def test_camera_node_publishes_the_recording_with_its_intrinsics(recording: Path, tmp_path: Path) -> None:
    spec = NodeSpec(
        "clam_ros",
        "clam_camera",
        "camera",
        "cameras/external",
        {
            "backend": "realsense",
            "playback_file": str(recording),
            "frame_id": "d435_color_optical_frame",
            "wait_for_subscriber": True,
        },
    )
    listener = CameraListener("/cameras/external")
    process = start_node(spec, log_file=tmp_path / "camera.log")
    try:
        wait_until(lambda: len(listener.images) >= 10 and listener.infos, 60, "frames from the recording")
    finally:
        stop_graph({"camera": process})
        listener.close()
    images = listener.images
    info = listener.infos[-1]
    assert (info.width, info.height, info.header.frame_id) == (WIDTH, HEIGHT, "d435_color_optical_frame")
    assert list(info.k) == [FX, 0.0, CX, 0.0, FY, CY, 0.0, 0.0, 1.0]
    assert images[0].encoding == "rgb8" and images[0].header.frame_id == "d435_color_optical_frame"
