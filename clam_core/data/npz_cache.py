"""Crash-safe files for generated dataset caches: every write goes to a temporary name and is renamed over the
target, so readers and reruns see the old file or the whole new one, never a part."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary file in the same folder, flushed to disk, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    write_atomically(path, lambda file: np.savez_compressed(file, **arrays))


def load_npz(path: Path, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """All arrays of `path`, or only `names` (an npz decompresses per array, so small ones are cheap to read
    beside large image arrays)."""
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in (npz.files if names is None else names)}


def save_json(path: Path, value: Any) -> None:
    write_atomically(path, lambda file: file.write(json.dumps(value, indent=2).encode()))
