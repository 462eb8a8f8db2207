"""Recorded episode bags -> cached LeRobot dataset -> training episodes.

Bags are found under the given paths, read (unusable ones are skipped and reported, never fatal while others
remain), converted once into a LeRobot dataset, and cached under a key of the bags' identities and contents,
so a second run with the same bags reads the dataset straight away.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from clam_core.data.bags import EPISODE_FILE, RECORDING_SUFFIX, BagEpisode, BagError, read_episode_bag
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.lerobot_io import read_lerobot_episodes, write_lerobot_dataset
from clam_core.data.observation_layout import ObservationLayout

CONVERTER_VERSION = 2
REPORT_FILE = "conversion.json"


@dataclass
class ConversionReport:
    kind: str
    used: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (bag, reason)
    cached: bool = False


def find_bags(paths: list[str | Path]) -> list[Path]:
    """Episode bag folders given directly or found below the given folders (incomplete ones included, so
    they can be reported)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such bag or folder")
        if (path / EPISODE_FILE).is_file() or path.name.endswith(RECORDING_SUFFIX):
            found.append(path)
        elif path.is_dir():
            found += sorted(p.parent for p in path.rglob(EPISODE_FILE))
        else:
            raise FileNotFoundError(f"{path}: not an episode bag folder")
    return sorted(set(found))


def _fingerprint(bag: Path) -> list:
    files = sorted(p for p in bag.rglob("*") if p.is_file())
    return [str(bag.resolve()), [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]]


def cache_key(
    bags: list[Path], kind: str, with_actions: bool, task: str | None, cameras: tuple[str, ...] = ()
) -> str:
    fingerprints = [_fingerprint(b) for b in bags]
    payload = json.dumps([CONVERTER_VERSION, kind, with_actions, task, list(cameras), fingerprints])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load_bags(
    bags: list[Path],
    kind: str,
    with_actions: bool,
    cache_root: Path,
    task: str | None = None,
    fps: int = 5,
    layout: ObservationLayout | None = None,
) -> tuple[LabelledEpisodes | ObservationEpisodes, ConversionReport]:
    """With a `layout` that names cameras, their images are converted too and the episodes' observations
    are flat state + image vectors (`ObservationLayout`); otherwise they are joint states."""
    cameras = layout.cameras if layout is not None else ()
    root = Path(cache_root) / f"{kind}-{cache_key(bags, kind, with_actions, task, cameras)}"
    repo_id = f"local/clam_{kind}"
    if (root / REPORT_FILE).is_file():
        report = ConversionReport(**json.loads((root / REPORT_FILE).read_text()))
        report.cached = True
        return read_lerobot_episodes(root / "dataset", repo_id, with_actions, layout), report
    report = ConversionReport(kind=kind)
    episodes = []
    for bag in tqdm(bags, desc=f"reading {kind} bags", leave=False):
        try:
            episode = read_episode_bag(bag, with_actions=with_actions, cameras=cameras)
        except BagError as error:
            report.skipped.append((str(bag), error.reason))
            continue
        if task is not None and episode.meta.task != task:
            report.skipped.append((str(bag), f"task {episode.meta.task!r} is not {task!r}"))
            continue
        if episode.meta.kind != kind:
            report.skipped.append((str(bag), f"recorded as {episode.meta.kind!r}, given as {kind!r}"))
            continue
        mismatch = _image_shape_mismatch(episode, episodes[0] if episodes else episode, cameras)
        if mismatch:
            report.skipped.append((str(bag), mismatch))
            continue
        episodes.append(episode)
        report.used.append(str(bag))
    if not episodes:
        reasons = "; ".join(f"{bag}: {reason}" for bag, reason in report.skipped) or "none given"
        raise ValueError(f"no usable {kind} bags ({reasons})")
    staging = root.with_name(root.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    write_lerobot_dataset(episodes, staging / "dataset", repo_id, fps, with_actions, cameras)
    (staging / REPORT_FILE).write_text(
        json.dumps({"kind": kind, "used": report.used, "skipped": report.skipped})
    )
    shutil.rmtree(root, ignore_errors=True)
    staging.rename(root)
    return read_lerobot_episodes(root / "dataset", repo_id, with_actions, layout), report


def _image_shape_mismatch(episode: BagEpisode, first: BagEpisode, cameras: tuple[str, ...]) -> str:
    """One dataset holds one image size per camera: the first usable bag sets it."""
    for camera in cameras:
        shape, expected = episode.images[camera].shape[1:], first.images[camera].shape[1:]
        if shape != expected:
            return f"camera {camera!r} images are {shape}, earlier bags {expected}"
    return ""
