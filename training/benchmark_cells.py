"""A benchmark is a grid of cells (table, method, task, seed). Each finished cell is one JSON file, written
atomically, so a run can be stopped at any time and resumed; a cell being worked on holds a lock file, so
several processes can share one grid (start the same command N times). A store belongs to one profile
configuration: results saved under another one (an edited profile) count as missing and are recomputed."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from clam_core.train.config import RunConfig


@dataclass(frozen=True)
class Cell:
    table: str  # "main", "ablation", "beta", "latent_dim"
    method: str
    task: str
    seed: int

    def folder(self, root: Path) -> Path:
        """The cell's own folder under `root` (its training run); its result is that path + `.json`."""
        return root / self.table / self.method / self.task / f"seed{self.seed}"

    def path(self, root: Path) -> Path:
        return self.folder(root).with_suffix(".json")

    def run_config(self, work_dir: Path, device: str, progress: bool, steps: int) -> RunConfig:
        """Training in the cell's folder (an interrupted run resumes there), seeded by the cell, with about
        20 log lines and 5 checkpoints over a stage of `steps` updates."""
        return RunConfig(
            out_dir=str(self.folder(work_dir)),
            device=device,
            seed=self.seed,
            progress=progress,
            log_every=max(steps // 20, 1),
            checkpoint_every=max(steps // 5, 1),
        )


# Profile fields that shape the grid (which cells exist, how they are scheduled), not what a cell computes.
GRID_FIELDS = frozenset(
    {"name", "tasks", "seeds", "tables", "beta_task", "betas", "latent_dims", "eval_workers"}
)


def config_key(profile: Any) -> str:
    """A short stable hash of what a profile's cells compute (a profile dataclass, grid fields left out).
    A new config field changes every key even at a default that computes what the old code did; cells
    finished before it are then only reused after their `config_key` is rewritten (and their run folder
    renamed), which is right only when the new default reproduces the old behaviour."""
    fields = {k: v for k, v in asdict(profile).items() if k not in GRID_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def runs_folder(name: str, profile: Any, work_dir: Path | None = None) -> Path:
    """Where benchmark `name`'s training runs for this profile live (`work_dir`, default
    outputs/benchmark/<name>): one folder per configuration key, so no run resumes a stale one."""
    return (work_dir or Path("outputs") / "benchmark" / name) / config_key(profile)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CellStore:
    def __init__(self, root: Path, key: str) -> None:
        self.root, self.key = Path(root), key

    def result(self, cell: Cell) -> dict[str, Any] | None:
        """The cell's result if it was computed under this store's configuration key."""
        path = cell.path(self.root)
        if not path.is_file():
            return None
        result = json.loads(path.read_text())
        return result if result.get("config_key") == self.key else None

    def save(self, cell: Cell, result: dict[str, Any]) -> None:
        path = cell.path(self.root)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        temporary.write_text(json.dumps({**result, "config_key": self.key}, indent=2))
        os.replace(temporary, path)

    def claim(self, cell: Cell) -> bool:
        """Take the cell's lock (created exclusively); a lock whose process has died is taken over."""
        lock = cell.path(self.root).with_suffix(".lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    owner = int(lock.read_text() or "0")
                except (OSError, ValueError):
                    owner = 0
                if owner and _pid_alive(owner):
                    return False
                lock.unlink(missing_ok=True)  # left by a crashed run
                continue
            with os.fdopen(descriptor, "w") as handle:
                handle.write(str(os.getpid()))
            return True
        return False

    def release(self, cell: Cell) -> None:
        cell.path(self.root).with_suffix(".lock").unlink(missing_ok=True)

    def pending(self, cells: list[Cell]) -> Iterator[Cell]:
        """Cells with no result yet that this process could claim; each is yielded while held."""
        for cell in cells:
            if self.result(cell) is None and self.claim(cell):
                try:
                    if self.result(cell) is None:  # another process may have finished it meanwhile
                        yield cell
                finally:
                    self.release(cell)
