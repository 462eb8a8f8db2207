"""Stage-1 training throughput of MLP-CLAM and Transformer-CLAM at the paper's sizes (Tables 11 and 12).

Measures the real training step (`Trainer.train_step` over `stage1_losses`: LAM forward/backward every step,
the labelled decoder batch every K steps, AdamW, clipping) on synthetic MetaWorld-shaped data already on the
device, and writes training/results/throughput.{json,md}. CUDA is measured too when available.

    python training/bench_throughput.py [--seconds 20] [--batch_size 128]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import draccus
import torch

from clam_core.algos.clam import CLAMConfig, CLAMModel, stage1_losses
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.windows import LabelledWindowSampler, ObservationWindowSampler
from clam_core.models.lam import LAMConfig, count_parameters
from clam_core.train.config import RunConfig
from clam_core.train.loop import Trainer
from training.cli import parse_config
from training.results_io import write_results


@dataclass
class BenchConfig:
    kinds: tuple[str, ...] = ("mlp", "transformer")
    batch_size: int = 128
    obs_dim: int = 39  # MetaWorld state
    action_dim: int = 4
    episodes: int = 200
    episode_length: int = 100
    warmup_steps: int = 5
    seconds: float = 20.0  # measuring time per (model, device)
    min_steps: int = 10
    cpu_threads: int = 0  # 0 keeps torch's default
    devices: tuple[str, ...] = field(default_factory=lambda: ("cpu", "cuda"))
    name: str = "throughput"


def measure(kind: str, device: torch.device, cfg: BenchConfig) -> dict:
    torch.manual_seed(0)
    clam = CLAMConfig(lam=LAMConfig(kind=kind), batch_size=cfg.batch_size, decoder_batch_size=cfg.batch_size)
    length, count = cfg.episode_length, cfg.episodes
    episodes = LabelledEpisodes(
        torch.randn(count * length, cfg.obs_dim),
        torch.arange(1, count + 1) * length,
        torch.randn(count * length, cfg.action_dim),
    )
    unlabelled = ObservationWindowSampler(episodes, clam.lam.context, device)
    labelled = LabelledWindowSampler(episodes, clam.lam.context, device, seed=1)
    model = CLAMModel(clam, cfg.obs_dim, cfg.action_dim).to(device)
    trainer = Trainer(
        "bench",
        {"lam": model.lam, "decoder": model.decoder},
        clam.stage1,
        RunConfig(out_dir="/nonexistent", progress=False),
        device,
        config={},
    )

    def step_fn(step: int) -> dict[str, torch.Tensor]:
        return stage1_losses(model, clam, unlabelled, labelled, step)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(cfg.warmup_steps):
        trainer.train_step(step_fn)
    sync()
    steps, started = 0, time.perf_counter()
    while steps < cfg.min_steps or time.perf_counter() - started < cfg.seconds:
        trainer.train_step(step_fn)
        steps += 1
        if device.type == "cuda" and steps % 50 == 0:
            sync()
    sync()
    elapsed = time.perf_counter() - started
    updates_per_s = steps / elapsed
    samples_per_step = clam.batch_size + clam.decoder_batch_size / clam.decoder_every
    return {
        "model": f"{kind}-clam",
        "device": device.type,
        "lam_parameters": count_parameters(model.lam),
        "decoder_parameters": count_parameters(model.decoder),
        "steps": steps,
        "seconds": round(elapsed, 2),
        "updates_per_s": round(updates_per_s, 2),
        "samples_per_s": round(updates_per_s * samples_per_step, 1),
    }


def main(cfg: BenchConfig) -> list[dict]:
    if cfg.cpu_threads > 0:
        torch.set_num_threads(cfg.cpu_threads)
    devices = [d for d in cfg.devices if d != "cuda" or torch.cuda.is_available()]
    started = time.time()
    results = []
    for device in devices:
        for kind in cfg.kinds:
            result = measure(kind, torch.device(device), cfg)
            print(
                f"{result['model']:<18} {device:<5} {result['updates_per_s']:>9.2f} updates/s "
                f"{result['samples_per_s']:>10.1f} samples/s"
            )
            results.append(result)
    headers = ["model", "device", "LAM params", "updates/s", "samples/s", "steps timed"]
    rows = [
        [
            r["model"],
            r["device"],
            f"{r['lam_parameters']:,}",
            r["updates_per_s"],
            r["samples_per_s"],
            r["steps"],
        ]
        for r in results
    ]
    json_path, md_path = write_results(
        cfg.name,
        "Stage-1 CLAM training throughput (paper sizes)",
        {
            "config": draccus.encode(cfg),
            "command": "python training/bench_throughput.py",
            "wall_time_s": round(time.time() - started, 1),
            "results": results,
            "notes": "samples/s = unlabelled windows + labelled decoder windows (one batch every K steps)",
        },
        headers,
        rows,
    )
    print(f"wrote {json_path} and {md_path}")
    return results


if __name__ == "__main__":
    main(parse_config(BenchConfig))
