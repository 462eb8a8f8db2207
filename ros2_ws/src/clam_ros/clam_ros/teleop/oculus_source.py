"""The alternative to the WebXR page: the Quest's controller stream over ADB, read by an `oculus_reader`-style
package (rail-berkeley/oculus_reader: `OculusReader().get_transformations_and_buttons()` returns 4x4 poses
by hand, 'r' / 'l', and a button dict with 'RG' grip, 'rightTrig' trigger, 'A', 'B'). Its readings become
the same `ControllerSample`s the WebSocket server produces; the Quest's tracking space, like WebXR's, is
right-handed with y up and z towards the user."""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import numpy as np

from clam_ros.teleop.mapping import ControllerSample, GripPress
from clam_ros.teleop.server import Latest


class ControllerReader(Protocol):
    def get_transformations_and_buttons(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]: ...


def matrix_quaternion(rotation: np.ndarray) -> np.ndarray:
    """Rotation matrix -> unit quaternion (x, y, z, w), numerically safe for every rotation."""
    m = np.asarray(rotation, float)
    trace = np.trace(m)
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4]
    else:
        i = int(np.argmax(np.diag(m)))  # the largest diagonal term keeps the square root well away from 0
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i], q[j], q[k] = s / 4, (m[j, i] + m[i, j]) / s, (m[k, i] + m[i, k]) / s
    q = np.asarray(q)
    return q / np.linalg.norm(q)


def sample_from_reading(
    poses: dict[str, np.ndarray], buttons: dict[str, Any], stamp: float, hand: str = "r"
) -> tuple[ControllerSample, dict[str, bool]] | None:
    """One reading of the right (or left) controller, or None while that controller is not tracked."""
    pose = poses.get(hand)
    if pose is None or np.shape(pose) != (4, 4) or not np.all(np.isfinite(pose)):
        return None
    right = hand == "r"
    trigger = buttons.get("rightTrig" if right else "leftTrig", (0.0,))
    sample = ControllerSample(
        position=np.asarray(pose[:3, 3], float),
        orientation=matrix_quaternion(pose[:3, :3]),
        grip=bool(buttons.get("RG" if right else "LG", False)),
        trigger=float(np.clip(trigger[0] if np.ndim(trigger) else trigger, 0.0, 1.0)),
        stamp=stamp,
    )
    first, second = ("A", "B") if right else ("X", "Y")
    return sample, {"a": bool(buttons.get(first, False)), "b": bool(buttons.get(second, False))}


def default_reader() -> ControllerReader:
    try:
        from oculus_reader.reader import OculusReader
    except ImportError as error:
        raise RuntimeError(
            "the oculus_reader backend needs the oculus_reader package (github.com/rail-berkeley/"
            "oculus_reader) and adb with the Quest connected; or use backend:=webxr, which needs nothing "
            "on the headset"
        ) from error
    return OculusReader()


class OculusReaderSource:
    """Polls the reader in a background thread; `latest()` answers like `TeleopServer.latest()`."""

    def __init__(self, reader: ControllerReader | None = None, rate: float = 50.0, hand: str = "r") -> None:
        self.reader = reader if reader is not None else default_reader()
        self.period, self.hand = 1.0 / rate, hand
        self._latest: Latest | None = None
        self._grip = GripPress()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True, name="oculus-reader")

    def start(self) -> str:
        self._thread.start()
        return "the Quest over ADB (oculus_reader)"

    def _poll(self) -> None:
        while not self._stop.wait(self.period):
            poses, buttons = self.reader.get_transformations_and_buttons()
            reading = sample_from_reading(poses or {}, buttons or {}, time.monotonic(), self.hand)
            if reading is not None:
                sample, pressed = reading
                with self._lock:  # one ADB stream: one connection
                    self._latest = Latest(sample, pressed, time.monotonic(), 1, self._grip.update(sample))

    def latest(self) -> Latest | None:
        with self._lock:
            return self._latest

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
