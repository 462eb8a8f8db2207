"""MetaWorld datasets in the CLAM paper's setting, generated once per task and config and cached.

- D_unlabelled: trajectories of mixed expertise (the paper uses 1000 from a TD-MPC2 replay buffer, from
  random to expert behaviour): uniform random actions, the scripted expert under Gaussian action noise of
  several levels, and the clean expert. Served without actions.
- D_labelled: a small non-expert set WITH actions (the paper's "random-medium"): random actions and the
  expert under heavy noise (sigma 0.5). By default only episodes that fail the task are kept, as the paper
  filters its labelled set (Fig. 4d): before filtering, the noisy expert's candidates succeed on 0.11 / 0.14 /
  0.38 / 0.31 of assembly / bin-picking / peg-insert-side / shelf-place (seed 0). `meta.json` records each
  behaviour's success rate before filtering. With sigma 1.0 instead, the gripper command is noise wherever
  the fingers are blocked, so no decoder can learn the expert's firm grasp from it (R² of the gripper
  dimension -7 on expert transitions) and every latent-action method scored 0.00-0.02 on assembly. With
  sigma 0.5, MLP-CLAM reached 0.74 there on the data of generator version 1, but not on the current draw
  (training/results/metaworld_cpu.md).
- D_expert: clean scripted-expert trajectories, served without actions. By default only successful episodes
  are kept, as demonstrations are: under action repeat 2 the scripted experts fail some variations.

Each subset and behaviour is drawn from its own seed stream, so the episodes are a pure function of task and
config. Files: `<cache>/<task>/<config key>/{unlabelled,labelled,expert}.npz` (compressed, actions stored for
all subsets so baselines such as BC on expert actions can read them) and `meta.json` with the statistics,
written last: a folder with `meta.json` is complete. Every file is written to a temporary name and renamed, so
a crash leaves whole files only, and a rerun generates just the subsets that are missing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from clam_core.algos.clam import CLAMData
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes, concat_observations
from clam_core.data.npz_cache import load_npz, save_json, save_npz
from clam_core.envs.metaworld_tasks import (
    EPISODE_LENGTH,
    TASKS_WITH_EXPERTS,
    Behaviour,
    EpisodeJob,
    record_episodes,
    worker_context,
)

DEFAULT_CACHE = Path.home() / ".cache" / "clam" / "metaworld"
GENERATOR_VERSION = 2  # bump when generation changes, so old caches are not reused
SUBSETS = ("unlabelled", "labelled", "expert")
META_FILE = "meta.json"
JOB_EPISODES = 10  # episodes per worker job: fine-grained progress and load balance
MAX_FILTER_ATTEMPTS = 10  # candidates per kept episode, where a subset keeps only successes or failures

RANDOM = Behaviour("random")
EXPERT = Behaviour("expert")


@dataclass(frozen=True)
class MetaWorldDataConfig:
    seed: int = 0
    episode_length: int = EPISODE_LENGTH  # policy steps (observations) per episode
    unlabelled_episodes: int = 1000
    unlabelled_random_fraction: float = 0.2
    unlabelled_expert_fraction: float = 0.2  # clean expert
    unlabelled_noise_levels: tuple[float, ...] = (0.1, 0.3, 0.5, 1.0)  # the rest, split evenly
    labelled_episodes: int = 100
    labelled_random_fraction: float = 0.5
    labelled_noise: float = 0.5  # the rest of D_labelled: the expert under this much action noise
    labelled_failed_only: bool = True  # like the paper's filtered labelled set (Fig. 4d)
    expert_episodes: int = 50
    expert_successful_only: bool = True

    def __post_init__(self) -> None:
        counts = (self.unlabelled_episodes, self.labelled_episodes, self.expert_episodes, self.episode_length)
        if min(counts) < 1:
            raise ValueError(f"episode counts and length must be positive, got {counts}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        fractions = (self.unlabelled_random_fraction, self.unlabelled_expert_fraction)
        if min(fractions) < 0 or sum(fractions) > 1 or not 0 <= self.labelled_random_fraction <= 1:
            raise ValueError("behaviour fractions must lie in [0, 1] and add up to at most 1")
        if sum(fractions) < 1 and not self.unlabelled_noise_levels:
            raise ValueError("unlabelled random and expert fractions must add up to 1 without noise levels")

    def key(self) -> str:
        """Stable across runs and machines: the config, the generator version and the MetaWorld version."""
        payload = [GENERATOR_VERSION, importlib.metadata.version("metaworld"), asdict(self)]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def outcome_filter(self, subset: str) -> bool | None:
        """Which episodes a subset keeps: True the successful only, False the failed only, None all."""
        if subset == "expert" and self.expert_successful_only:
            return True
        if subset == "labelled" and self.labelled_failed_only:
            return False
        return None

    def plan(self, subset: str) -> list[tuple[Behaviour, int]]:
        """The behaviours of a subset and how many episodes each drives."""
        if subset == "unlabelled":
            noisy = 1 - self.unlabelled_random_fraction - self.unlabelled_expert_fraction
            shares = {RANDOM: self.unlabelled_random_fraction, EXPERT: self.unlabelled_expert_fraction}
            for sigma in self.unlabelled_noise_levels:
                shares[Behaviour("expert", sigma)] = noisy / len(self.unlabelled_noise_levels)
            return _split(self.unlabelled_episodes, shares)
        if subset == "labelled":
            shares = {
                RANDOM: self.labelled_random_fraction,
                Behaviour("expert", self.labelled_noise): 1 - self.labelled_random_fraction,
            }
            return _split(self.labelled_episodes, shares)
        if subset == "expert":
            return [(EXPERT, self.expert_episodes)]
        raise ValueError(f"unknown subset {subset!r}; choose one of {SUBSETS}")


def _split(total: int, shares: dict[Behaviour, float]) -> list[tuple[Behaviour, int]]:
    """Counts proportional to `shares` that add up to `total` (largest remainders get the leftovers)."""
    exact = np.array(list(shares.values())) * total
    counts = np.floor(exact).astype(int)
    leftovers = np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]
    counts[leftovers] += 1
    return [(behaviour, int(n)) for behaviour, n in zip(shares, counts, strict=True) if n > 0]


def _candidate_seeds(cfg: MetaWorldDataConfig, subset: str, behaviour_index: int, count: int) -> np.ndarray:
    # One independent stream per subset and behaviour: resizing one leaves the others' episodes unchanged.
    return np.random.SeedSequence((cfg.seed, SUBSETS.index(subset), behaviour_index)).generate_state(count)


class _Recorder:
    """Runs episode jobs in order, in worker processes or in this one, and advances the progress bar."""

    def __init__(self, task: str, length: int, pool: Pool | None, bar: tqdm) -> None:
        self.task, self.length, self.pool, self.bar = task, length, pool, bar

    def run(self, behaviour: Behaviour, seeds: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
        jobs = [
            EpisodeJob(self.task, behaviour, tuple(int(s) for s in seeds[i : i + JOB_EPISODES]), self.length)
            for i in range(0, len(seeds), JOB_EPISODES)
        ]
        results = self.pool.imap(record_episodes, jobs) if self.pool else map(record_episodes, jobs)
        for result in results:
            self.bar.update(len(result[2]))
            yield result


@dataclass
class _Kept:
    """The episodes one behaviour contributes to a subset, and the candidates run up to the last one kept."""

    observations: list[np.ndarray]
    actions: list[np.ndarray]
    success: list[bool]
    seeds: list[int]
    attempts: int
    attempt_successes: int


def _record_behaviour(
    recorder: _Recorder, behaviour: Behaviour, candidates: np.ndarray, wanted: int, keep: bool | None
) -> _Kept:
    """The first `wanted` episodes of `candidates` (seed order, so the result does not depend on how many
    run at once) whose success equals `keep`, or simply the first `wanted` when `keep` is None."""
    kept: list[tuple[np.ndarray, np.ndarray, bool, int]] = []
    outcomes: list[bool] = []
    while len(kept) < wanted and len(outcomes) < len(candidates):
        remaining = wanted - len(kept)
        if keep is None:
            block = candidates[len(outcomes) : len(outcomes) + remaining]
        else:  # a little more than the remaining count; the extra candidates join the bar's total
            block = candidates[len(outcomes) : len(outcomes) + math.ceil(1.25 * remaining)]
            recorder.bar.total += len(block)
        for obs, actions, success in recorder.run(behaviour, block):
            kept += [
                (o, a, bool(s), len(outcomes) + i)
                for i, (o, a, s) in enumerate(zip(obs, actions, success, strict=True))
                if keep is None or bool(s) == keep
            ]
            outcomes += [bool(s) for s in success]
    if len(kept) < wanted:
        outcome = "succeeded" if keep else "failed"
        raise RuntimeError(
            f"only {len(kept)} of {len(outcomes)} {behaviour.label} episodes {outcome}, {wanted} wanted"
        )
    kept = kept[:wanted]
    attempts = kept[-1][3] + 1
    return _Kept(
        observations=[k[0] for k in kept],
        actions=[k[1] for k in kept],
        success=[k[2] for k in kept],
        seeds=[int(candidates[k[3]]) for k in kept],
        attempts=attempts,
        attempt_successes=sum(outcomes[:attempts]),
    )


def _record_subset(cfg: MetaWorldDataConfig, subset: str, recorder: _Recorder) -> dict[str, np.ndarray]:
    keep = cfg.outcome_filter(subset)
    parts: list[_Kept] = []
    labels: list[str] = []
    for index, (behaviour, count) in enumerate(cfg.plan(subset)):
        budget = count if keep is None else count * MAX_FILTER_ATTEMPTS
        parts.append(
            _record_behaviour(recorder, behaviour, _candidate_seeds(cfg, subset, index, budget), count, keep)
        )
        labels += [behaviour.label] * count
    return {
        "observations": np.stack([o for p in parts for o in p.observations]),
        "actions": np.stack([a for p in parts for a in p.actions]),
        "success": np.array([s for p in parts for s in p.success], dtype=bool),
        "behaviour": np.array(labels),
        "seeds": np.array([seed for p in parts for seed in p.seeds], dtype=np.uint32),
        # Per behaviour, in plan order: candidates run and how many of them succeeded, before filtering.
        "attempts": np.array([p.attempts for p in parts]),
        "attempt_successes": np.array([p.attempt_successes for p in parts]),
    }


def _subset_stats(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Success of the kept episodes and, where a filter kept only some, of every candidate that ran."""
    success, labels, attempts = arrays["success"], arrays["behaviour"], arrays["attempts"]
    return {
        "episodes": len(success),
        "success_rate": float(success.mean()),
        "attempts": int(attempts.sum()),  # > episodes where a filter discarded some
        "success_rate_before_filter": float(arrays["attempt_successes"].sum() / attempts.sum()),
        "by_behaviour": {
            label: {
                "episodes": int((labels == label).sum()),
                "success_rate": float(success[labels == label].mean()),
                "attempts": int(attempts[i]),
                "success_rate_before_filter": float(arrays["attempt_successes"][i] / attempts[i]),
            }
            for i, label in enumerate(dict.fromkeys(labels.tolist()))
        },
    }


def dataset_dir(task: str, cfg: MetaWorldDataConfig, cache_dir: Path | str | None = None) -> Path:
    return Path(cache_dir or DEFAULT_CACHE) / task / cfg.key()


def ensure_metaworld_data(
    task: str,
    cfg: MetaWorldDataConfig | None = None,
    cache_dir: Path | str | None = None,
    workers: int = 1,
    progress: bool = True,
) -> Path:
    """The dataset folder for `task` and `cfg`, generating whatever is missing (with `workers` processes)."""
    if task not in TASKS_WITH_EXPERTS:
        raise ValueError(f"unknown MetaWorld v3 task {task!r}; choose one of {TASKS_WITH_EXPERTS}")
    cfg = cfg or MetaWorldDataConfig()
    folder = dataset_dir(task, cfg, cache_dir)
    if (folder / META_FILE).is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    missing = [s for s in SUBSETS if not (folder / f"{s}.npz").is_file()]
    started = time.perf_counter()
    # Filtered subsets join the progress bar's total as their candidates are run.
    planned = sum(n for s in missing if cfg.outcome_filter(s) is None for _, n in cfg.plan(s))
    pool = worker_context().Pool(workers) if workers > 1 and missing else None
    try:
        with tqdm(total=planned, desc=f"{task} data", unit="episode", disable=not progress) as bar:
            recorder = _Recorder(task, cfg.episode_length, pool, bar)
            for subset in missing:
                save_npz(folder / f"{subset}.npz", _record_subset(cfg, subset, recorder))
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    meta = {
        "task": task,
        "key": cfg.key(),
        "config": asdict(cfg),
        "metaworld": importlib.metadata.version("metaworld"),
        "generator_version": GENERATOR_VERSION,
        "generation_seconds": round(time.perf_counter() - started, 1),
        "subsets": {s: _subset_stats(load_npz(folder / f"{s}.npz")) for s in SUBSETS},
    }
    save_json(folder / META_FILE, meta)
    return folder


def load_metaworld_data(
    task: str,
    cfg: MetaWorldDataConfig | None = None,
    cache_dir: Path | str | None = None,
    workers: int = 1,
    progress: bool = True,
) -> tuple[CLAMData, dict[str, Any]]:
    """CLAM's three datasets for a MetaWorld task (generated on first use) and their statistics:
    labelled = D_labelled with actions; unlabelled = D_unlabelled + D_expert observations; expert = D_expert
    observations."""
    folder = ensure_metaworld_data(task, cfg, cache_dir, workers, progress)
    subsets = {s: load_npz(folder / f"{s}.npz") for s in SUBSETS}
    labelled = subsets["labelled"]
    expert = ObservationEpisodes.from_arrays(list(subsets["expert"]["observations"]))
    data = CLAMData(
        labelled=LabelledEpisodes.from_arrays(list(labelled["observations"]), list(labelled["actions"])),
        unlabelled=concat_observations(
            [ObservationEpisodes.from_arrays(list(subsets["unlabelled"]["observations"])), expert]
        ),
        expert=expert,
    )
    return data, json.loads((folder / META_FILE).read_text())


def load_expert_demonstrations(
    task: str, cfg: MetaWorldDataConfig | None = None, cache_dir: Path | str | None = None
) -> LabelledEpisodes:
    """D_expert *with* its actions: privileged data, for the BC-Expert reference only."""
    arrays = load_npz(ensure_metaworld_data(task, cfg, cache_dir, progress=False) / "expert.npz")
    return LabelledEpisodes.from_arrays(list(arrays["observations"]), list(arrays["actions"]))


def dataset_meta(task: str, cfg: MetaWorldDataConfig, cache_dir: Path | str | None = None) -> dict[str, Any]:
    """meta.json of an already generated dataset (config, generation time, per-subset success rates)."""
    path = dataset_dir(task, cfg, cache_dir) / META_FILE
    return json.loads(path.read_text()) if path.is_file() else {}
