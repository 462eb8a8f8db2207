"""Camera backends: Intel RealSense (live by serial number, or a recorded .bag played back), an OpenCV
webcam or video file, and the kitchen twin's rendered cameras. Each returns RGB uint8 HxWx3 frames."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from clam_ros.arm_backends import BackendUnavailable


@dataclass(frozen=True)
class Intrinsics:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)

    @classmethod
    def from_fov(cls, width: int, height: int, vertical_fov_deg: float) -> Intrinsics:
        focal = height / 2 / math.tan(math.radians(vertical_fov_deg) / 2)
        return cls(width, height, focal, focal, (width - 1) / 2, (height - 1) / 2)


class CameraBackend(Protocol):
    fps: float
    intrinsics: Intrinsics

    def read(self) -> np.ndarray | None:
        """The next RGB frame, or None when none is available (end of a file, no twin state yet)."""

    def close(self) -> None: ...


class VideoCamera:
    """A webcam (`source` = device index) or a video file (`source` = path; played once or looped)."""

    def __init__(
        self,
        source: str,
        width: int = 0,
        height: int = 0,
        fps: float = 0.0,
        loop: bool = False,
        vertical_fov_deg: float = 45.0,
    ) -> None:
        import cv2  # only this backend needs OpenCV's capture

        self._cv2 = cv2
        is_device = source.isdigit()
        if not is_device and not Path(source).is_file():
            raise FileNotFoundError(f"video source {source!r} is neither a device index nor a file")
        self.capture = cv2.VideoCapture(int(source) if is_device else source)
        if not self.capture.isOpened():
            raise BackendUnavailable(f"cannot open video source {source!r}")
        if is_device and width and height:
            self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.loop = loop and not is_device
        self.fps = fps or self.capture.get(cv2.CAP_PROP_FPS) or 30.0
        actual_w = int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        actual_h = int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.intrinsics = Intrinsics.from_fov(actual_w, actual_h, vertical_fov_deg)

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        if not ok and self.loop:
            self.capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self.capture.read()
        return self._cv2.cvtColor(frame, self._cv2.COLOR_BGR2RGB) if ok else None

    def close(self) -> None:
        self.capture.release()


class RealSenseCamera:
    """The D435 colour stream through a `pyrealsense2` pipeline: a device by serial number (empty: the first
    one found), or a recorded .bag file played back frame by frame (`set_real_time(False)`)."""

    def __init__(
        self,
        serial: str = "",
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        playback_file: str = "",
        timeout_ms: int = 2000,
    ) -> None:
        try:
            import pyrealsense2 as rs
        except ImportError as error:
            raise BackendUnavailable(
                "backend 'realsense' needs pyrealsense2 (pip install pyrealsense2)"
            ) from error
        self.pipeline, config = rs.pipeline(), rs.config()
        if playback_file:
            if not Path(playback_file).is_file():
                raise FileNotFoundError(f"RealSense recording {playback_file!r} not found")
            config.enable_device_from_file(playback_file, repeat_playback=False)
        elif serial:
            config.enable_device(serial)
        if not playback_file:
            config.enable_stream(rs.stream.color, width, height, rs.format.rgb8, int(fps))
        try:
            if playback_file:
                # Frame by frame from the first frame: switched before `start`, which reuses the resolved
                # device; switched after it, a loaded machine had already played (and dropped) frames.
                resolved = config.resolve(rs.pipeline_wrapper(self.pipeline))
                resolved.get_device().as_playback().set_real_time(False)
            profile = self.pipeline.start(config)
        except RuntimeError as error:
            raise BackendUnavailable(f"RealSense pipeline did not start ({error})") from error
        stream = profile.get_stream(rs.stream.color).as_video_stream_profile()
        intr = stream.get_intrinsics()
        self.fps = float(stream.fps())
        self.intrinsics = Intrinsics(
            intr.width, intr.height, intr.fx, intr.fy, intr.ppx, intr.ppy, tuple(intr.coeffs)
        )
        self.timeout_ms = timeout_ms
        self._rgb_format = rs.format.rgb8

    def read(self) -> np.ndarray | None:
        ok, frames = self.pipeline.try_wait_for_frames(self.timeout_ms)
        if not ok:
            return None
        color = frames.get_color_frame()
        if not color:
            return None
        image = np.asanyarray(color.get_data())
        if color.get_profile().format() != self._rgb_format:  # e.g. a bgr8 recording
            image = image[..., ::-1]
        return np.ascontiguousarray(image)

    def close(self) -> None:
        self.pipeline.stop()


class TwinCamera:
    """One camera of the kitchen twin, drawing the scene of the latest snapshot from the sim arm driver."""

    def __init__(self, camera: str, width: int = 128, height: int = 128, fps: float = 10.0) -> None:
        from clam_core.envs.widowx.env import WidowXKitchenEnv
        from clam_core.envs.widowx.scene import CAMERA_FOVY

        self.env = WidowXKitchenEnv(image_size=(height, width), cameras=(camera,))
        self.camera = camera
        self.fps = fps
        self.intrinsics = Intrinsics.from_fov(width, height, CAMERA_FOVY)
        self._snapshot: np.ndarray | None = None

    def update(self, snapshot: np.ndarray) -> None:
        self._snapshot = snapshot

    def read(self) -> np.ndarray | None:
        if self._snapshot is None:
            return None
        self.env.restore(self._snapshot)
        return self.env.render_camera(self.camera)

    def close(self) -> None:
        self.env.close()
