"""Image datasets of the WidowX kitchen twin for the image-based kitchen benchmark, generated once and cached.

The paper's real-robot setting (Appendix F): ~50k transitions of task-agnostic play at 5 Hz and ~30 expert
demonstrations per task, images and joint states. Here:

- play: the scripted play controller wanders over all objects (touch, push, grasp-and-move, nudge the door).
  The scene, its randomisation and the reset do not depend on the task (the task only picks the success
  detector), so play is recorded once, in an env of task `PLAY_TASK`; its success flags say whether play
  happened to solve that task.
- expert_<task>: the scripted expert of the task. Only successful episodes are kept, as demonstrations are:
  candidates are drawn in seed order, up to `MAX_EXPERT_ATTEMPTS` per wanted episode.

Each subset has a seed stream of its own (play, then one per task), so its episodes are a pure function of
the config and do not change when other subsets are added. Files: `<cache>/<config key>/play.npz`,
`expert_<task>.npz` (flat steps with `episode_ends`, images per camera as uint8) and `meta.json` with every
subset's statistics, rewritten last whenever a subset is added. All writes are atomic, so a crash leaves whole
files only and a rerun generates just the subsets that are missing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.npz_cache import load_npz, save_json, save_npz
from clam_core.data.observation_layout import ObservationLayout
from clam_core.envs.widowx.datagen import Episode, record_episode
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.envs.widowx.scene import CAMERAS
from clam_core.envs.widowx.tasks import TASKS
from clam_core.parallel import forkserver_context

DEFAULT_CACHE = Path.home() / ".cache" / "clam" / "kitchen"
GENERATOR_VERSION = 1  # bump when generation changes, so old caches are not reused
STATE_DIM = 7  # 6 arm joints + the left finger
PLAY_TASK = "microwave"
PLAY = "play"
META_FILE = "meta.json"
IMAGES = "images."  # npz name prefix of a camera's images
JOB_EPISODES = 4  # episodes per worker job: an image episode takes ~1-2 s, so progress stays fine-grained
MAX_EXPERT_ATTEMPTS = 5  # candidates per kept expert episode; the scripted experts solve nearly all


def expert_subset(task: str) -> str:
    return f"expert_{task}"


@dataclass(frozen=True)
class KitchenDataConfig:
    seed: int = 0
    image_size: int = 64  # rendered directly at this size
    cameras: tuple[str, ...] = ("external", "shoulder")
    play_episodes: int = 1000
    play_length: int = 50  # frames per play episode: 1000 x 50 = the paper's ~50k transitions
    expert_episodes: int = 30  # per task
    expert_length: int = 100  # the paper's evaluation budget

    def __post_init__(self) -> None:
        object.__setattr__(self, "cameras", tuple(self.cameras))  # a list would break hashing and the key
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if min(self.play_episodes, self.expert_episodes) < 1:
            raise ValueError(
                f"episode counts must be positive, got {self.play_episodes}, {self.expert_episodes}"
            )
        if min(self.play_length, self.expert_length) < 2:
            raise ValueError("episodes need at least 2 frames (one transition)")
        if self.image_size < 8:
            raise ValueError(f"image_size must be at least 8, got {self.image_size}")
        unknown = [c for c in self.cameras if c not in CAMERAS]
        if unknown or len(set(self.cameras)) != len(self.cameras):
            raise ValueError(f"cameras must be distinct names from {tuple(CAMERAS)}, got {self.cameras}")

    def key(self) -> str:
        """Stable across runs and machines: the config, the generator version and the MuJoCo version."""
        payload = [GENERATOR_VERSION, importlib.metadata.version("mujoco"), asdict(self)]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def layout(self) -> ObservationLayout:
        """The flat observation layout of this data at its own resolution."""
        return ObservationLayout(STATE_DIM, self.cameras, self.image_size)


@dataclass(frozen=True, eq=False)  # arrays have no single truth value to compare by
class KitchenEpisodes:
    """Episodes stored back to back: `actions[t]` is commanded after `states[t]` (an episode's last action
    repeats the one before, as the twin's recorder does)."""

    states: np.ndarray  # [N, 7] float32
    actions: np.ndarray  # [N, 7] float32
    images: dict[str, np.ndarray]  # camera -> [N, H, W, 3] uint8
    episode_ends: np.ndarray  # [E] exclusive cumulative ends
    success: np.ndarray  # [E] bool
    seeds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [E] reset seeds, if known

    def __post_init__(self) -> None:
        steps = len(self.states)
        if len(self.actions) != steps or any(len(i) != steps for i in self.images.values()):
            raise ValueError("states, actions and every camera's images need one entry per step")
        if len(self.episode_ends) == 0 or int(self.episode_ends[-1]) != steps:
            raise ValueError("episode_ends must end at the number of steps")
        if len(self.success) != len(self.episode_ends):
            raise ValueError("success needs one flag per episode")

    @property
    def num_steps(self) -> int:
        return len(self.states)

    @property
    def num_episodes(self) -> int:
        return len(self.episode_ends)

    @property
    def cameras(self) -> tuple[str, ...]:
        return tuple(self.images)

    @property
    def episode_starts(self) -> np.ndarray:
        return np.concatenate([[0], self.episode_ends[:-1]])

    def select(self, episode_indices: Sequence[int]) -> KitchenEpisodes:
        """A subset of the episodes (e.g. the first few play episodes as the labelled set)."""
        if len(episode_indices) == 0:
            raise ValueError("cannot select zero episodes")
        starts, ends = self.episode_starts, self.episode_ends
        steps = np.concatenate([np.arange(starts[i], ends[i]) for i in episode_indices])
        picked = np.asarray(episode_indices)
        return KitchenEpisodes(
            self.states[steps],
            self.actions[steps],
            {camera: images[steps] for camera, images in self.images.items()},
            np.cumsum(ends[picked] - starts[picked]),
            self.success[picked],
            self.seeds[picked] if len(self.seeds) else self.seeds,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "states": self.states,
            "actions": self.actions,
            "episode_ends": self.episode_ends,
            "success": self.success,
            "seeds": self.seeds,
        }
        return arrays | {IMAGES + camera: images for camera, images in self.images.items()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> KitchenEpisodes:
        """From `to_arrays`' names; other arrays (a saved subset's statistics) are ignored."""
        images = {name[len(IMAGES) :]: a for name, a in arrays.items() if name.startswith(IMAGES)}
        return cls(
            arrays["states"],
            arrays["actions"],
            images,
            arrays["episode_ends"],
            arrays["success"],
            arrays["seeds"],
        )

    @classmethod
    def concat(cls, parts: Sequence[KitchenEpisodes]) -> KitchenEpisodes:
        """The parts' episodes back to back, in order (e.g. play, then one task's demonstrations)."""
        cameras = parts[0].cameras
        if any(p.cameras != cameras for p in parts):
            raise ValueError(f"parts have different cameras: {[p.cameras for p in parts]}")
        offsets = np.cumsum([0] + [p.num_steps for p in parts[:-1]])
        return cls(
            np.concatenate([p.states for p in parts]),
            np.concatenate([p.actions for p in parts]),
            {camera: np.concatenate([p.images[camera] for p in parts]) for camera in cameras},
            np.concatenate([p.episode_ends + offset for p, offset in zip(parts, offsets, strict=True)]),
            np.concatenate([p.success for p in parts]),
            # Reset seeds only if every part knows its own.
            np.concatenate([p.seeds for p in parts])
            if all(len(p.seeds) for p in parts)
            else parts[0].seeds[:0],
        )

    @classmethod
    def from_recorded(cls, episodes: Sequence[Episode], seeds: Sequence[int]) -> KitchenEpisodes:
        return cls(
            np.concatenate([e.states for e in episodes]).astype(np.float32),
            np.concatenate([e.actions for e in episodes]).astype(np.float32),
            {camera: np.concatenate([e.images[camera] for e in episodes]) for camera in episodes[0].images},
            np.cumsum([len(e.states) for e in episodes]),
            np.array([e.success for e in episodes], dtype=bool),
            np.asarray(seeds, dtype=np.int64),
        )


# ----------------------------------------------------------------------------------------------- layout
def layout_observations(episodes: KitchenEpisodes, layout: ObservationLayout, chunk: int = 512) -> Tensor:
    """The flat observations [N, layout.dim] (images resized to the layout's resolution if they differ),
    converted `chunk` steps at a time: only the output is held as floats (98 KB a step at 2 x 64x64)."""
    if layout.state_dim != STATE_DIM:
        raise ValueError(f"kitchen states have {STATE_DIM} values, the layout expects {layout.state_dim}")
    missing = [c for c in layout.cameras if c not in episodes.images]
    if missing:
        raise ValueError(f"the layout needs cameras {missing}, the data has {episodes.cameras}")
    out = torch.empty(episodes.num_steps, layout.dim)
    for start in range(0, episodes.num_steps, chunk):
        stop = start + chunk
        images = {c: episodes.images[c][start:stop] for c in layout.cameras}
        out[start:stop] = layout.flatten(episodes.states[start:stop], images)
    return out


def observation_episodes(episodes: KitchenEpisodes, layout: ObservationLayout) -> ObservationEpisodes:
    """Observation-only episodes (for the LAM, or action-stripped expert demonstrations)."""
    return ObservationEpisodes(
        layout_observations(episodes, layout), torch.as_tensor(episodes.episode_ends, dtype=torch.long)
    )


def labelled_episodes(episodes: KitchenEpisodes, layout: ObservationLayout) -> LabelledEpisodes:
    """Episodes with their actions (the labelled play set, or privileged expert actions for BC references)."""
    return LabelledEpisodes(
        layout_observations(episodes, layout),
        torch.as_tensor(episodes.episode_ends, dtype=torch.long),
        torch.as_tensor(episodes.actions, dtype=torch.float32),
    )


# ----------------------------------------------------------------------------------------------- generation
@dataclass(frozen=True)
class _Job:
    task: str
    controller: str  # "play" or "expert"
    seeds: tuple[int, ...]
    length: int
    image_size: int
    cameras: tuple[str, ...]


def _record_job(job: _Job) -> list[Episode]:
    """A worker's job: one env (creating one costs ~0.05 s with its renderer), one episode per seed."""
    env = WidowXKitchenEnv(job.task, job.image_size, job.cameras, episode_length=job.length)
    try:
        return [record_episode(env, job.controller, seed, job.length) for seed in job.seeds]
    finally:
        env.close()  # frees the EGL context now, not in a noisy destructor at exit


def _seeds(cfg: KitchenDataConfig, subset: str, count: int) -> np.ndarray:
    stream = 0 if subset == PLAY else 1 + TASKS.index(subset.removeprefix("expert_"))
    return np.random.SeedSequence((cfg.seed, stream)).generate_state(count).astype(np.int64)


class _Recorder:
    """Runs episode jobs in order, in worker processes or in this one, and advances the progress bar."""

    def __init__(self, cfg: KitchenDataConfig, executor: Executor | None, bar: tqdm) -> None:
        self.cfg, self.executor, self.bar = cfg, executor, bar

    def run(self, task: str, controller: str, length: int, seeds: np.ndarray) -> Iterator[Episode]:
        size, cameras = self.cfg.image_size, self.cfg.cameras
        jobs = [
            _Job(task, controller, tuple(int(s) for s in seeds[i : i + JOB_EPISODES]), length, size, cameras)
            for i in range(0, len(seeds), JOB_EPISODES)
        ]
        results = self.executor.map(_record_job, jobs) if self.executor else map(_record_job, jobs)
        for episodes in results:
            self.bar.update(len(episodes))
            yield from episodes


def _record_play(cfg: KitchenDataConfig, recorder: _Recorder) -> KitchenEpisodes:
    seeds = _seeds(cfg, PLAY, cfg.play_episodes)
    return KitchenEpisodes.from_recorded(list(recorder.run(PLAY_TASK, "play", cfg.play_length, seeds)), seeds)


def _record_experts(cfg: KitchenDataConfig, task: str, recorder: _Recorder) -> tuple[KitchenEpisodes, int]:
    """The first `expert_episodes` successful expert episodes in seed order (independent of how many run at
    once) and the number of candidates up to the last one kept."""
    wanted = cfg.expert_episodes
    candidates = _seeds(cfg, expert_subset(task), wanted * MAX_EXPERT_ATTEMPTS)
    kept: list[tuple[int, Episode]] = []
    tried = 0
    while len(kept) < wanted and tried < len(candidates):
        block = candidates[tried : tried + wanted - len(kept)]
        if tried:  # the first block is in the bar's planned total
            recorder.bar.total += len(block)
        for offset, episode in enumerate(recorder.run(task, "expert", cfg.expert_length, block)):
            if episode.success:
                kept.append((tried + offset, episode))
        tried += len(block)
    if len(kept) < wanted:
        raise RuntimeError(f"the {task} expert solved only {len(kept)} of {tried} episodes, {wanted} wanted")
    indices = [index for index, _ in kept]
    return KitchenEpisodes.from_recorded([e for _, e in kept], candidates[indices]), indices[-1] + 1


def _subset_stats(path: Path) -> dict[str, Any]:
    # Only the small arrays: the images would have to be decompressed.
    arrays = load_npz(path, ("episode_ends", "success", "attempts", "generation_seconds"))
    return {
        "episodes": len(arrays["success"]),
        "transitions": int(arrays["episode_ends"][-1]),  # recorded steps, each with its action
        "attempts": int(arrays["attempts"]),  # > episodes where only successful episodes were kept
        "success_rate": float(arrays["success"].sum() / arrays["attempts"]),
        "generation_seconds": round(float(arrays["generation_seconds"]), 1),
    }


def dataset_dir(cfg: KitchenDataConfig, cache_dir: Path | str | None = None) -> Path:
    return Path(cache_dir or DEFAULT_CACHE) / cfg.key()


def _check_tasks(tasks: Iterable[str]) -> list[str]:
    tasks = list(dict.fromkeys(tasks))
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown kitchen tasks {unknown}; choose from {TASKS}")
    return tasks


def ensure_kitchen_data(
    cfg: KitchenDataConfig,
    tasks: Iterable[str],
    cache_dir: Path | str | None = None,
    workers: int = 2,
    progress: bool = True,
) -> Path:
    """The dataset folder for `cfg` holding play and the experts of `tasks`, generating what is missing with
    `workers` processes (1: in this one)."""
    tasks = _check_tasks(tasks)
    folder = dataset_dir(cfg, cache_dir)
    wanted = [PLAY] + [expert_subset(t) for t in tasks]
    missing = [s for s in wanted if not (folder / f"{s}.npz").is_file()]
    meta_path = folder / META_FILE
    if (
        not missing
        and meta_path.is_file()
        and set(wanted) <= set(json.loads(meta_path.read_text())["subsets"])
    ):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    executor = ProcessPoolExecutor(workers, forkserver_context(__name__)) if workers > 1 and missing else None
    planned = sum(cfg.play_episodes if s == PLAY else cfg.expert_episodes for s in missing)
    try:
        with tqdm(total=planned, desc="kitchen data", unit="episode", disable=not progress) as bar:
            recorder = _Recorder(cfg, executor, bar)
            for subset in missing:
                started = time.perf_counter()
                if subset == PLAY:
                    episodes, attempts = _record_play(cfg, recorder), cfg.play_episodes
                else:
                    episodes, attempts = _record_experts(cfg, subset.removeprefix("expert_"), recorder)
                seconds = time.perf_counter() - started
                extra = {"attempts": np.array(attempts), "generation_seconds": np.array(seconds)}
                save_npz(folder / f"{subset}.npz", episodes.to_arrays() | extra)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
    present = [s for s in [PLAY] + [expert_subset(t) for t in TASKS] if (folder / f"{s}.npz").is_file()]
    meta = {
        "key": cfg.key(),
        "config": asdict(cfg),
        "mujoco": importlib.metadata.version("mujoco"),
        "generator_version": GENERATOR_VERSION,
        "play_task": PLAY_TASK,
        "subsets": {s: _subset_stats(folder / f"{s}.npz") for s in present},
    }
    save_json(meta_path, meta)
    return folder


def load_kitchen_episodes(folder: Path, subset: str) -> KitchenEpisodes:
    return KitchenEpisodes.from_arrays(load_npz(folder / f"{subset}.npz"))


def load_kitchen_data(
    cfg: KitchenDataConfig,
    tasks: Iterable[str],
    cache_dir: Path | str | None = None,
    workers: int = 2,
    progress: bool = True,
) -> tuple[KitchenEpisodes, dict[str, KitchenEpisodes], dict[str, Any]]:
    """Play, the expert demonstrations of each task (generated on first use) and the dataset's meta.json."""
    tasks = _check_tasks(tasks)
    folder = ensure_kitchen_data(cfg, tasks, cache_dir, workers, progress)
    experts = {task: load_kitchen_episodes(folder, expert_subset(task)) for task in tasks}
    return load_kitchen_episodes(folder, PLAY), experts, json.loads((folder / META_FILE).read_text())
