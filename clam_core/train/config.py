"""Typed configs shared by every training recipe."""

from __future__ import annotations

from dataclasses import dataclass

SCHEDULES = ("constant", "cosine")


@dataclass
class OptimConfig:
    """AdamW, linear warm-up, then constant or cosine decay (paper Table 10: lr 3e-4, eps 1e-5, wd 0.01)."""

    steps: int = 10_000
    lr: float = 3e-4
    weight_decay: float = 0.01
    eps: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.999)
    warmup_steps: int = 500
    schedule: str = "constant"
    grad_clip: float = 1.0

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {SCHEDULES}")
        if self.steps < 1:
            raise ValueError(f"steps must be positive, got {self.steps}")


@dataclass
class RunConfig:
    """Where and how a run executes."""

    out_dir: str = "outputs/run"
    device: str = "auto"  # "auto" picks CUDA when available
    seed: int = 0
    amp: bool = True  # bf16 autocast on CUDA; ignored on CPU
    log_every: int = 100
    checkpoint_every: int = 2_000
    resume: bool = True  # continue from out_dir's last training state when there is one
    progress: bool = True
