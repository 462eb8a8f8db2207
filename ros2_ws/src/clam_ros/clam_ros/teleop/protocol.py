"""The headset -> robot messages: one JSON object per WebXR frame, validated strictly.

{"t": 12.345, "position": [x, y, z], "orientation": [x, y, z, w], "grip": true, "trigger": 0.7,
 "buttons": {"a": false, "b": false}}
"""

from __future__ import annotations

import json
import math

import numpy as np

from clam_ros.teleop.mapping import ControllerSample

MAX_MESSAGE_BYTES = 2048


class BadMessage(ValueError):
    """A message from the headset that is malformed, oversized or out of range."""


def _numbers(value: object, count: int, name: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != count:
        raise BadMessage(f"{name} must be a list of {count} numbers")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        raise BadMessage(f"{name} must hold finite numbers")
    return np.asarray(value, dtype=float)


def parse_message(text: str | bytes) -> tuple[ControllerSample, dict[str, bool]]:
    """A controller sample and the face buttons, or BadMessage saying what is wrong."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise BadMessage(f"message of {len(text)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadMessage(f"not JSON ({error})") from error
    if not isinstance(data, dict):
        raise BadMessage("message must be a JSON object")
    stamp = data.get("t")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool) or not math.isfinite(stamp):
        raise BadMessage("t must be a finite number")
    position = _numbers(data.get("position"), 3, "position")
    if np.abs(position).max() > 10.0:
        raise BadMessage("position is more than 10 m from the reference space origin")
    orientation = _numbers(data.get("orientation"), 4, "orientation")
    if not 0.9 < np.linalg.norm(orientation) < 1.1:
        raise BadMessage("orientation must be a unit quaternion")
    grip, trigger = data.get("grip"), data.get("trigger")
    if not isinstance(grip, bool):
        raise BadMessage("grip must be true or false")
    if not isinstance(trigger, int | float) or isinstance(trigger, bool) or not 0.0 <= trigger <= 1.0:
        raise BadMessage("trigger must be a number in [0, 1]")
    buttons = data.get("buttons", {})
    if not isinstance(buttons, dict) or not all(isinstance(v, bool) for v in buttons.values()):
        raise BadMessage("buttons must map names to true/false")
    sample = ControllerSample(position, orientation, grip, float(trigger), float(stamp))
    return sample, {str(k): v for k, v in buttons.items() if k in ("a", "b")}
