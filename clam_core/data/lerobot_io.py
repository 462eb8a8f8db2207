"""Episode bags -> LeRobot datasets (v3, the on-disk training format) -> training episodes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from clam_core.data.bags import JOINT_NAMES, BagEpisode
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes

STATE_FEATURE = "observation.state"
ACTION_FEATURE = "action"


def write_lerobot_dataset(
    episodes: Sequence[BagEpisode], root: Path, repo_id: str, fps: int, with_actions: bool
) -> None:
    """One LeRobot episode per bag; actions only when `with_actions` (expert data is stored without them)."""
    from lerobot.datasets.lerobot_dataset import LeRobotDataset  # heavy import, only when converting

    features = {STATE_FEATURE: {"dtype": "float32", "shape": (len(JOINT_NAMES),), "names": list(JOINT_NAMES)}}
    if with_actions:
        features[ACTION_FEATURE] = {
            "dtype": "float32",
            "shape": (len(JOINT_NAMES),),
            "names": list(JOINT_NAMES),
        }
    dataset = LeRobotDataset.create(repo_id, fps=fps, features=features, root=root, use_videos=False)
    for episode in episodes:
        task = episode.meta.task or episode.meta.kind
        for step in range(len(episode.states)):
            frame = {STATE_FEATURE: episode.states[step].astype(np.float32), "task": task}
            if with_actions:
                frame[ACTION_FEATURE] = episode.actions[step].astype(np.float32)
            dataset.add_frame(frame)
        dataset.save_episode()
    dataset.finalize()


def read_lerobot_episodes(
    root: Path, repo_id: str, with_actions: bool
) -> LabelledEpisodes | ObservationEpisodes:
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    dataset = LeRobotDataset(repo_id, root=root)
    columns = [STATE_FEATURE, ACTION_FEATURE] if with_actions else [STATE_FEATURE]
    table = dataset.hf_dataset.select_columns(columns).with_format("torch")[:]  # one batch: all rows
    states = table[STATE_FEATURE].float()
    ends = torch.as_tensor(dataset.meta.episodes["dataset_to_index"], dtype=torch.long)
    if not with_actions:
        return ObservationEpisodes(states, ends)
    return LabelledEpisodes(states, ends, table[ACTION_FEATURE].float())
