"""Resumable training state (optimizer, schedule, step, RNGs) as safetensors + JSON, never pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

STATE_TENSORS = "trainer_state.safetensors"
STATE_JSON = "trainer_state.json"


def optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], list[dict[str, Any]]]:
    """Split an optimizer state dict into tensors (`optim.<param>.<name>`) and JSON-able param groups."""
    state = optimizer.state_dict()
    tensors = {
        f"optim.{param_id}.{name}": value.detach().cpu().contiguous()
        for param_id, entries in state["state"].items()
        for name, value in entries.items()
    }
    return tensors, state["param_groups"]


def optimizer_from_flat(
    optimizer: torch.optim.Optimizer, tensors: dict[str, Tensor], param_groups: list[dict[str, Any]]
) -> None:
    state: dict[int, dict[str, Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, param_id, name = key.split(".", 2)
            state.setdefault(int(param_id), {})[name] = value
    for group in param_groups:
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict({"state": state, "param_groups": param_groups})


def save_trainer_state(
    folder: Path,
    optimizer: torch.optim.Optimizer,
    step: int,
    total_steps: int,
    generators: dict[str, torch.Generator],
) -> None:
    tensors, groups = optimizer_to_flat(optimizer)
    tensors["rng.torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    for name, generator in generators.items():
        tensors[f"rng.sampler.{name}"] = generator.get_state()
    save_file(tensors, str(folder / STATE_TENSORS))
    meta = {"step": step, "total_steps": total_steps, "param_groups": groups}
    (folder / STATE_JSON).write_text(json.dumps(meta, indent=2))


def load_trainer_state(
    folder: Path, optimizer: torch.optim.Optimizer, generators: dict[str, torch.Generator]
) -> int:
    """Restore optimizer and RNG states; returns the step to continue from."""
    meta = json.loads((folder / STATE_JSON).read_text())
    tensors = load_file(str(folder / STATE_TENSORS))
    optimizer_from_flat(optimizer, tensors, meta["param_groups"])
    torch.set_rng_state(tensors["rng.torch"])
    if "rng.cuda" in tensors and torch.cuda.is_available():
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    for name, generator in generators.items():
        key = f"rng.sampler.{name}"
        if key in tensors:
            generator.set_state(tensors[key])
    return int(meta["step"])


def has_trainer_state(folder: Path) -> bool:
    return (folder / STATE_JSON).is_file() and (folder / STATE_TENSORS).is_file()
