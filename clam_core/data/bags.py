"""Episode bags: one ROS 2 bag (MCAP, written with `rosbags`, readable by `ros2 bag` too) per episode.

Layout: `/observation/state` and `/action` (sensor_msgs/JointState; 6 joints + gripper) and
`/observation/images/<camera>` (sensor_msgs/Image, rgb8), one message of each per control step, all with the
step's stamp; `action` at step t is the command issued after observing step t. Beside the bag's own files,
`episode.json` holds the episode's metadata. A bag is written under `<name>.recording` and renamed to its
final name only once closed, so a crash leaves an obviously incomplete folder, never a corrupt "complete" one.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader, Writer
from rosbags.rosbag2.enums import StoragePlugin
from rosbags.typesys import Stores, get_typestore

STATE_TOPIC = "/observation/state"
ACTION_TOPIC = "/action"
IMAGE_TOPIC_PREFIX = "/observation/images/"
EPISODE_FILE = "episode.json"
RECORDING_SUFFIX = ".recording"
JOINT_NAMES = ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")
KINDS = ("play", "expert")

_TYPESTORE = get_typestore(Stores.ROS2_JAZZY)
_JOINT_STATE = "sensor_msgs/msg/JointState"
_IMAGE = "sensor_msgs/msg/Image"


class BagError(RuntimeError):
    """An episode bag that cannot be used for training (unreadable, incomplete, inconsistent)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


@dataclass
class EpisodeMeta:
    kind: str  # "play" (actions are labels) or "expert" (actions are never read)
    task: str = ""
    operator: str = ""
    accepted: bool = False
    complete: bool = False
    start_time: float = 0.0  # UNIX seconds
    fps: float = 5.0
    steps: int = 0
    late_samples: int = 0
    missing_samples: int = 0
    cameras: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"episode kind must be one of {KINDS}, got {self.kind!r}")


@dataclass
class BagEpisode:
    states: np.ndarray  # [T, 7]
    actions: np.ndarray | None  # [T, 7], None when read without actions
    images: dict[str, np.ndarray]  # camera -> [T, H, W, 3]
    meta: EpisodeMeta


def _header(stamp_ns: int):
    types = _TYPESTORE.types
    stamp = types["builtin_interfaces/msg/Time"](sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
    return types["std_msgs/msg/Header"](stamp=stamp, frame_id="")


def _joint_state(values: np.ndarray, stamp_ns: int):
    return _TYPESTORE.types[_JOINT_STATE](
        header=_header(stamp_ns),
        name=list(JOINT_NAMES),
        position=np.asarray(values, np.float64),
        velocity=np.zeros(0),
        effort=np.zeros(0),
    )


def _image(rgb: np.ndarray, stamp_ns: int):
    height, width = rgb.shape[:2]
    return _TYPESTORE.types[_IMAGE](
        header=_header(stamp_ns),
        height=height,
        width=width,
        encoding="rgb8",
        is_bigendian=0,
        step=width * 3,
        data=np.ascontiguousarray(rgb, np.uint8).reshape(-1),
    )


class EpisodeBagWriter:
    """Writes one episode; `close(accepted)` finishes it, `abort()` leaves it marked incomplete."""

    def __init__(self, path: Path | str, meta: EpisodeMeta) -> None:
        self.final_path = Path(path)
        if self.final_path.exists():
            raise FileExistsError(f"episode bag {self.final_path} already exists")
        self.path = self.final_path.with_name(self.final_path.name + RECORDING_SUFFIX)
        self.meta = meta
        self._writer = Writer(self.path, version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        self._connections = {
            STATE_TOPIC: self._writer.add_connection(STATE_TOPIC, _JOINT_STATE, typestore=_TYPESTORE),
            ACTION_TOPIC: self._writer.add_connection(ACTION_TOPIC, _JOINT_STATE, typestore=_TYPESTORE),
        }
        for camera in meta.cameras:
            topic = IMAGE_TOPIC_PREFIX + camera
            self._connections[topic] = self._writer.add_connection(topic, _IMAGE, typestore=_TYPESTORE)
        self._write_meta()  # complete=False until close()

    def _write_meta(self) -> None:
        temporary = self.path / (EPISODE_FILE + ".tmp")
        temporary.write_text(json.dumps(asdict(self.meta), indent=2))
        os.replace(temporary, self.path / EPISODE_FILE)

    def _put(self, topic: str, message, msgtype: str, stamp_ns: int) -> None:
        self._writer.write(self._connections[topic], stamp_ns, _TYPESTORE.serialize_cdr(message, msgtype))

    def write(
        self,
        stamp_ns: int,
        state: np.ndarray,
        action: np.ndarray,
        images: dict[str, np.ndarray] | None = None,
    ) -> None:
        """One control step: the observation at `stamp_ns` and the command issued after it."""
        self._put(STATE_TOPIC, _joint_state(state, stamp_ns), _JOINT_STATE, stamp_ns)
        self._put(ACTION_TOPIC, _joint_state(action, stamp_ns), _JOINT_STATE, stamp_ns)
        for camera in self.meta.cameras:
            self._put(IMAGE_TOPIC_PREFIX + camera, _image((images or {})[camera], stamp_ns), _IMAGE, stamp_ns)
        self.meta.steps += 1

    def close(self, accepted: bool) -> Path:
        """Finish the bag, record the verdict, and move it to its final name. Everything is on disk
        (fsync) before the rename, so a finished episode survives even a power cut."""
        self._writer.close()
        self.meta.accepted, self.meta.complete = accepted, True
        self._write_meta()
        _sync_files(self.path)
        os.replace(self.path, self.final_path)
        _sync_files(self.final_path.parent)
        return self.final_path

    def discard(self) -> None:
        """Close the bag and delete it: the operator threw the episode away."""
        self._writer.close()
        shutil.rmtree(self.path)

    def abort(self) -> Path:
        """Close the bag file but leave it under its `.recording` name (skipped by training)."""
        self._writer.close()
        return self.path


def _sync_files(folder: Path) -> None:
    """fsync every file directly in `folder`, then the folder itself (its entries)."""
    for path in [*(p for p in folder.iterdir() if p.is_file()), folder]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def read_meta(path: Path) -> EpisodeMeta:
    try:
        return EpisodeMeta(**json.loads((path / EPISODE_FILE).read_text()))
    except FileNotFoundError as error:
        raise BagError(path, f"no {EPISODE_FILE}: not an episode bag") from error
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise BagError(path, f"unreadable {EPISODE_FILE} ({error})") from error


def read_episode_bag(path: Path | str, with_actions: bool, cameras: tuple[str, ...] = ()) -> BagEpisode:
    """Read an accepted, complete episode. Actions are decoded only when `with_actions` (play data);
    an expert bag read for the latent policy never exposes its actions."""
    path = Path(path)
    if path.name.endswith(RECORDING_SUFFIX):
        raise BagError(path, "recording was cut off (crash or abort): incomplete")
    meta = read_meta(path)
    if not meta.complete:
        raise BagError(path, "incomplete episode")
    if not meta.accepted:
        raise BagError(path, "episode was discarded by the operator")
    wanted = {STATE_TOPIC} | ({ACTION_TOPIC} if with_actions else set())
    wanted |= {IMAGE_TOPIC_PREFIX + camera for camera in cameras}
    series: dict[str, list] = {topic: [] for topic in wanted}
    try:
        with Reader(path) as reader:
            connections = [c for c in reader.connections if c.topic in wanted]
            missing = wanted - {c.topic for c in connections}
            if missing:
                raise BagError(path, f"missing topics {sorted(missing)}")
            for connection, _, raw in reader.messages(connections=connections):
                message = _TYPESTORE.deserialize_cdr(raw, connection.msgtype)
                if connection.msgtype == _IMAGE:
                    series[connection.topic].append(message.data.reshape(message.height, message.width, 3))
                else:
                    series[connection.topic].append(np.asarray(message.position, np.float32))
    except BagError:
        raise
    except Exception as error:  # rosbags raises several types for damaged files
        raise BagError(path, f"unreadable bag ({type(error).__name__}: {error})") from error
    lengths = {topic: len(values) for topic, values in series.items()}
    if len(set(lengths.values())) != 1 or not lengths[STATE_TOPIC]:
        raise BagError(path, f"inconsistent or empty topics {lengths}")
    return BagEpisode(
        states=np.stack(series[STATE_TOPIC]),
        actions=np.stack(series[ACTION_TOPIC]) if with_actions else None,
        images={camera: np.stack(series[IMAGE_TOPIC_PREFIX + camera]) for camera in cameras},
        meta=meta,
    )
