"""Data-parallel training under `torchrun`: process group set-up, rank roles, and the DDP wrapper.

`torchrun` sets RANK, WORLD_SIZE and LOCAL_RANK; without them everything runs as a single process. Each
step, every rank draws the same global batch indices (identically seeded samplers) and keeps its own slice,
and DistributedDataParallel averages the gradients, so N ranks with per-rank batch B/N take exactly the
step one process takes with batch B. Rank 0 alone writes checkpoints, logs and progress bars.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, global_batch: int) -> slice:
        """This rank's part of a global batch."""
        if global_batch % self.world_size:
            raise ValueError(f"global batch {global_batch} does not split over {self.world_size} ranks")
        size = global_batch // self.world_size
        return slice(self.rank * size, (self.rank + 1) * size)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()


SINGLE_PROCESS = DistributedContext()


def init_distributed(device: torch.device) -> DistributedContext:
    """Join the process group torchrun describes (NCCL on CUDA, gloo on CPU); single process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return SINGLE_PROCESS
    context = DistributedContext(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return context


def device_for(name: str, context: DistributedContext) -> torch.device:
    """Under torchrun each rank takes the GPU of its local rank."""
    device = torch.device(name)
    if device.type == "cuda" and context.enabled:
        torch.cuda.set_device(context.local_rank)
        return torch.device("cuda", context.local_rank)
    return device


class StepModule(nn.Module):
    """Runs a recipe's step function as the forward of a module that owns the trained modules, so DDP can
    track their parameters whatever the step function calls (e.g. the decoder only every K steps)."""

    def __init__(self, modules: dict[str, nn.Module]) -> None:
        super().__init__()
        self.trained = nn.ModuleDict(modules)
        self.step_fn: Callable[[int], dict[str, Tensor]] | None = None

    def forward(self, step: int) -> dict[str, Tensor]:
        return self.step_fn(step)


def wrap_step(modules: dict[str, nn.Module], context: DistributedContext, device: torch.device) -> StepModule:
    step_module = StepModule(modules)
    if not context.enabled:
        return step_module
    device_ids = [device.index] if device.type == "cuda" else None
    # Parameters a step does not use (the decoder between its every-K batches) must not stall the reducer.
    return nn.parallel.DistributedDataParallel(
        step_module, device_ids=device_ids, find_unused_parameters=True
    )
