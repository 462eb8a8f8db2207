"""Checkpoint folders: `config.json` + `model.safetensors` (+ `stats.safetensors`). Nothing is unpickled.

Folders are written to a temporary sibling and swapped in, so a crash mid-write leaves the previous
checkpoint intact (and readable under `<name>.old` for the instant of the swap).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from clam_core.data.normalization import NormStats

FORMAT = "clam-checkpoint"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
MODEL_FILE = "model.safetensors"
STATS_FILE = "stats.safetensors"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, or does not fit the model it is loaded into."""


@dataclass
class Checkpoint:
    path: Path
    config: dict[str, Any]
    tensors: dict[str, Tensor]
    stats: NormStats | None


def write_folder_atomically(target: Path, write: Callable[[Path], None]) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".tmp")
    previous = target.with_name(target.name + ".old")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    write(staging)
    if target.exists():
        shutil.rmtree(previous, ignore_errors=True)
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


def existing_folder(target: Path) -> Path | None:
    """The folder to read: `target`, or its `.old` copy when a crash hit between the two renames."""
    target = Path(target)
    previous = target.with_name(target.name + ".old")
    if target.is_dir():
        return target
    return previous if previous.is_dir() else None


def module_tensors(modules: dict[str, nn.Module]) -> dict[str, Tensor]:
    """All parameters and buffers, keyed `<module name>.<state key>`, on CPU and contiguous."""
    return {
        f"{name}.{key}": value.detach().cpu().contiguous()
        for name, module in modules.items()
        for key, value in module.state_dict().items()
    }


def save_checkpoint(
    path: Path,
    modules: dict[str, nn.Module],
    config: dict[str, Any],
    stats: NormStats | None = None,
    extra_tensors: dict[str, Tensor] | None = None,
) -> Path:
    payload = {"format": FORMAT, "version": FORMAT_VERSION, **config}

    def write(folder: Path) -> None:
        save_file({**module_tensors(modules), **(extra_tensors or {})}, str(folder / MODEL_FILE))
        if stats is not None:
            save_file(stats.state_dict(), str(folder / STATS_FILE))
        (folder / CONFIG_FILE).write_text(json.dumps(payload, indent=2, sort_keys=True))

    write_folder_atomically(Path(path), write)
    return Path(path)


def _read_tensors(file: Path) -> dict[str, Tensor]:
    if not file.is_file():
        raise CheckpointError(f"{file}: file not found")
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"{file}: not a readable safetensors file ({error})") from error


def load_checkpoint(path: Path | str) -> Checkpoint:
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: checkpoint folder not found")
    config_file = path / CONFIG_FILE
    if not config_file.is_file():
        raise CheckpointError(f"{config_file}: file not found")
    try:
        config = json.loads(config_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{config_file}: invalid JSON ({error})") from error
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{config_file}: not a {FORMAT} config (missing or wrong 'format')")
    if config.get("version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{config_file}: format version {config.get('version')} is not the supported {FORMAT_VERSION}"
        )
    tensors = _read_tensors(path / MODEL_FILE)
    stats = None
    if (path / STATS_FILE).exists():
        try:
            stats = NormStats.from_state_dict(_read_tensors(path / STATS_FILE))
        except ValueError as error:
            raise CheckpointError(f"{path / STATS_FILE}: {error}") from error
    return Checkpoint(path, config, tensors, stats)


def load_module(module: nn.Module, checkpoint: Checkpoint, prefix: str) -> None:
    """Load `<prefix>.*` tensors into `module`, naming every missing, unexpected or mis-shaped key."""
    source = checkpoint.path / MODEL_FILE
    marker = f"{prefix}."
    state = {k[len(marker) :]: v for k, v in checkpoint.tensors.items() if k.startswith(marker)}
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = [
        f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in sorted(set(state) & set(expected))
        if state[k].shape != expected[k].shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {[marker + k for k in missing][:8]}")
    if unexpected:
        problems.append(f"unexpected {[marker + k for k in unexpected][:8]}")
    if mismatched:
        problems.append(f"shape mismatch {mismatched[:8]}")
    if problems:
        raise CheckpointError(f"{source}: does not fit the '{prefix}' model: " + "; ".join(problems))
    module.load_state_dict(state)
