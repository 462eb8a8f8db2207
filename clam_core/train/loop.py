"""The one training loop every recipe uses.

A recipe hands over its modules and a `step_fn(step) -> {"loss": ..., other scalars}`; the loop owns the
optimiser, warm-up schedule, gradient clipping, bf16 autocast on CUDA, the progress bar, TensorBoard scalars,
and periodic resumable checkpoints (also written when the run is interrupted).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from clam_core.data.normalization import NormStats
from clam_core.train.checkpoint import (
    existing_folder,
    load_checkpoint,
    load_module,
    save_checkpoint,
    write_folder_atomically,
)
from clam_core.train.config import OptimConfig, RunConfig
from clam_core.train.distributed import SINGLE_PROCESS, DistributedContext, wrap_step
from clam_core.train.optim import build_optimizer, build_scheduler
from clam_core.train.state import has_trainer_state, load_trainer_state, save_trainer_state

StepFn = Callable[[int], dict[str, Tensor]]


class Trainer:
    def __init__(
        self,
        name: str,
        modules: dict[str, nn.Module],
        optim: OptimConfig,
        run: RunConfig,
        device: torch.device,
        config: dict[str, Any],
        stats: NormStats | None = None,
        generators: dict[str, torch.Generator] | None = None,
        distributed: DistributedContext = SINGLE_PROCESS,
    ) -> None:
        self.name = name
        self.modules = modules
        self.optim_cfg = optim
        self.run = run
        self.device = device
        self.config = config
        self.stats = stats
        self.generators = generators or {}
        self.distributed = distributed
        self.state_dir = Path(run.out_dir) / name
        # DDP broadcasts rank 0's parameters here, so every rank starts from the same weights.
        self._step_module = wrap_step(modules, distributed, device)
        self._params = [p for module in modules.values() for p in module.parameters() if p.requires_grad]
        self.optimizer = build_optimizer(self._params, optim)
        self.scheduler = build_scheduler(self.optimizer, optim)
        self.step = 0

    @property
    def finished(self) -> bool:
        return self.step >= self.optim_cfg.steps

    def _autocast(self) -> torch.autocast:
        enabled = self.run.amp and self.device.type == "cuda"
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=enabled)

    def save(self) -> None:
        """Rank 0 writes; the others wait for it, so a resumed run finds the same state everywhere."""
        if self.distributed.is_main:
            self._write_state()
        self.distributed.barrier()

    def _write_state(self) -> None:
        def write(folder: Path) -> None:
            save_checkpoint(folder / "model", self.modules, self.config, self.stats)
            save_trainer_state(folder, self.optimizer, self.step, self.optim_cfg.steps, self.generators)

        write_folder_atomically(self.state_dir, write)

    def try_resume(self) -> bool:
        folder = existing_folder(self.state_dir)
        if not self.run.resume or folder is None or not has_trainer_state(folder):
            return False
        checkpoint = load_checkpoint(folder / "model")
        for name, module in self.modules.items():
            load_module(module, checkpoint, name)
        self.step = load_trainer_state(folder, self.optimizer, self.generators)
        self.scheduler.last_epoch = self.step
        for group, base_lr in zip(self.optimizer.param_groups, self.scheduler.base_lrs, strict=True):
            group["lr"] = base_lr * self.scheduler.lr_lambdas[0](self.step)
        return True

    def train_step(self, step_fn: StepFn) -> dict[str, Tensor]:
        """One optimisation step: forward (autocast on CUDA), backward, clip, update, schedule."""
        inner = getattr(self._step_module, "module", self._step_module)
        inner.step_fn = step_fn
        with self._autocast():
            scalars = self._step_module(self.step)
        self.optimizer.zero_grad(set_to_none=True)
        scalars["loss"].backward()
        scalars["grad_norm"] = torch.nn.utils.clip_grad_norm_(self._params, self.optim_cfg.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.step += 1
        return scalars

    def fit(self, step_fn: StepFn, on_step: Callable[[int], None] | None = None) -> dict[str, float]:
        """Run until `optim.steps`; returns the mean of each scalar over the last logging interval.
        `on_step(step)` runs after each update; the modules are put back in training mode after it."""
        from torch.utils.tensorboard import SummaryWriter  # imported late: tensorboard is slow to import

        resumed = self.try_resume()
        for module in self.modules.values():
            module.train()
        main = self.distributed.is_main
        writer = SummaryWriter(str(Path(self.run.out_dir) / "tensorboard" / self.name)) if main else None
        sums: dict[str, Tensor] = {}
        counts: dict[str, int] = {}  # per key: some scalars (the decoder loss) appear only every K steps
        last: dict[str, float] = {}
        bar = tqdm(
            total=self.optim_cfg.steps,
            initial=self.step,
            desc=self.name,
            disable=not self.run.progress,
            dynamic_ncols=True,
            leave=True,
            mininterval=0.1 if sys.stderr.isatty() else 10.0,
        )
        if resumed:
            bar.write(f"{self.name}: resumed from step {self.step} in {self.state_dir}")
        try:
            while not self.finished:
                scalars = self.train_step(step_fn)
                for key, value in scalars.items():
                    sums[key] = sums.get(key, 0.0) + value.detach().float()
                    counts[key] = counts.get(key, 0) + 1
                bar.update(1)
                if on_step is not None:
                    on_step(self.step)
                    for module in self.modules.values():
                        module.train()
                if self.step % self.run.log_every == 0 or self.finished:
                    last = {key: float(total) / counts[key] for key, total in sums.items()}
                    if writer is not None:
                        for key, value in last.items():
                            writer.add_scalar(f"{self.name}/{key}", value, self.step)
                        writer.add_scalar(f"{self.name}/lr", self.scheduler.get_last_lr()[0], self.step)
                    bar.set_postfix({k: f"{v:.4g}" for k, v in last.items() if k != "grad_norm"})
                    sums, counts = {}, {}
                if self.step % self.run.checkpoint_every == 0 and not self.finished:
                    self.save()
        except BaseException:
            if self.step > 0 and self.distributed.is_main:
                self._write_state()  # an interrupted run resumes from here (no barrier: peers may be gone)
            raise
        finally:
            bar.close()
            if writer is not None:
                writer.close()
        self.save()
        return last
