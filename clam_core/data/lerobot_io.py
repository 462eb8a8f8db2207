"""Episode bags -> LeRobot datasets (v3, the on-disk training format) -> training episodes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from clam_core.data.bags import JOINT_NAMES, BagEpisode
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.observation_layout import ObservationLayout
from clam_core.keys import ACTION_KEY, IMAGE_KEY_PREFIX, STATE_KEY

FLATTEN_CHUNK = 256  # frames resized at a time: bounds the float copy of full-size images


def write_lerobot_dataset(
    episodes: Sequence[BagEpisode],
    root: Path,
    repo_id: str,
    fps: int,
    with_actions: bool,
    cameras: Sequence[str] = (),
) -> None:
    """One LeRobot episode per bag; actions only when `with_actions` (expert data is stored without them);
    each camera in `cameras` as an image feature at the recorded resolution."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset  # heavy import, only when converting

    features = {STATE_KEY: {"dtype": "float32", "shape": (len(JOINT_NAMES),), "names": list(JOINT_NAMES)}}
    for camera in cameras:
        shape = episodes[0].images[camera].shape[1:]
        features[IMAGE_KEY_PREFIX + camera] = {
            "dtype": "image",
            "shape": tuple(shape),
            "names": ["height", "width", "channel"],
        }
    if with_actions:
        features[ACTION_KEY] = {
            "dtype": "float32",
            "shape": (len(JOINT_NAMES),),
            "names": list(JOINT_NAMES),
        }
    dataset = LeRobotDataset.create(repo_id, fps=fps, features=features, root=root, use_videos=False)
    for episode in episodes:
        task = episode.meta.task or episode.meta.kind
        for step in range(len(episode.states)):
            frame = {STATE_KEY: episode.states[step].astype(np.float32), "task": task}
            frame.update({IMAGE_KEY_PREFIX + c: episode.images[c][step] for c in cameras})
            if with_actions:
                frame[ACTION_KEY] = episode.actions[step].astype(np.float32)
            dataset.add_frame(frame)
        dataset.save_episode()
    dataset.finalize()


def read_lerobot_episodes(
    root: Path, repo_id: str, with_actions: bool, layout: ObservationLayout | None = None
) -> LabelledEpisodes | ObservationEpisodes:
    """The dataset's episodes; with a `layout` that has cameras, observations are flat state + image vectors
    at the layout's resolution (`ObservationLayout.flatten`)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    dataset = LeRobotDataset(repo_id, root=root)
    columns = [STATE_KEY, ACTION_KEY] if with_actions else [STATE_KEY]
    table = dataset.hf_dataset.select_columns(columns).with_format("torch")[:]  # one batch: all rows
    states = table[STATE_KEY].float()
    if layout is not None and layout.has_images:
        states = _flatten_with_images(dataset, states, layout)
    ends = torch.as_tensor(dataset.meta.episodes["dataset_to_index"], dtype=torch.long)
    if not with_actions:
        return ObservationEpisodes(states, ends)
    return LabelledEpisodes(states, ends, table[ACTION_KEY].float())


def _flatten_with_images(dataset, states: torch.Tensor, layout: ObservationLayout) -> torch.Tensor:
    missing = [c for c in layout.cameras if IMAGE_KEY_PREFIX + c not in dataset.features]
    if missing:
        raise ValueError(f"the dataset at {dataset.root} has no images of cameras {missing}")
    columns = [IMAGE_KEY_PREFIX + c for c in layout.cameras]
    images = dataset.hf_dataset.select_columns(columns).with_format("torch")
    flat = torch.empty(states.shape[0], layout.dim)
    for start in range(0, states.shape[0], FLATTEN_CHUNK):
        rows = images[start : start + FLATTEN_CHUNK]  # uint8 [n, 3, H, W] per camera
        stop = start + rows[columns[0]].shape[0]
        pixels = {c: rows[IMAGE_KEY_PREFIX + c] for c in layout.cameras}
        flat[start:stop] = layout.flatten(states[start:stop], pixels)
    return flat
