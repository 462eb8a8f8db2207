"""Observation-to-command latency of the policy node with the chunked ResNet18 image policy, on this machine.

The policy graph of `policy.launch.py task:=<task> sim:=true` runs as real processes (the twin's arm driver,
its two camera nodes, the policy node) over loopback DDS. The policy node stamps each command with the
instant it read the observation; a subscriber here takes receive time minus stamp: inference, image
preprocessing, ensembling and DDS delivery. The checkpoint has the paper's sizes (Space-Time LAM,
ResNet18 + 4-layer transformer decoder, chunks of 5) and untrained weights: compute does not depend on
the weight values, and no training is needed to time it. Target: p99 below 100 ms at 5 Hz on 2 CPU cores.
Writes training/results/policy_latency.{json,md}.

    python training/bench_policy_latency.py [--image_sizes [64,128]] [--commands 250] [--task microwave]
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from clam_bringup.graph import policy_graph, task_config, with_parameters
from clam_bringup.processes import ros_environment, start_graph, stop_graph
from clam_core.algos.clam import ACTION_KEY, OBS_KEY, CLAMConfig, CLAMModel, checkpoint_config
from clam_core.data.bags import JOINT_NAMES
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.lam import LAMConfig
from clam_core.models.policies import PolicyConfig
from clam_core.train.checkpoint import save_checkpoint
from training.cli import parse_config
from training.results_io import write_results

TARGET_P99_MS = 100.0
WARMUP_COMMANDS = 10


@dataclass
class LatencyBenchConfig:
    task: str = "microwave"
    image_sizes: list[int] = field(default_factory=lambda: [64, 128])
    commands: int = 250  # measured commands per image size (50 s at 5 Hz)
    timeout: float = 240.0  # seconds to wait for them


def write_image_checkpoint(out: Path, layout: ObservationLayout, chunk_size: int = 5) -> Path:
    """A paper-size image CLAM checkpoint with initial weights and identity normalisation."""
    cfg = CLAMConfig(lam=LAMConfig(kind="spacetime"), policy=PolicyConfig(chunk_size=chunk_size))
    action_dim = len(JOINT_NAMES)
    model = CLAMModel(cfg, layout, action_dim).eval()
    state_mean, state_std = layout.full_stats(torch.zeros(layout.state_dim), torch.ones(layout.state_dim))
    stats = NormStats(
        {OBS_KEY: state_mean, ACTION_KEY: torch.zeros(action_dim)},
        {OBS_KEY: state_std, ACTION_KEY: torch.ones(action_dim)},
    )
    modules = {"lam": model.lam, "decoder": model.decoder, "policy": model.policy}
    save_checkpoint(out, modules, checkpoint_config(cfg, layout, action_dim), stats)
    return out


class CommandLatencyProbe:
    """Subscribes to the arm's commands and records receive time minus the command's stamp."""

    def __init__(self) -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from sensor_msgs.msg import JointState

        self.node = rclpy.create_node("latency_probe")
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.node.create_subscription(JointState, "/arm/joint_commands", self._on_command, 50)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _on_command(self, msg) -> None:
        received = self.node.get_clock().now().nanoseconds
        sent = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        with self.lock:
            self.latencies.append((received - sent) * 1e-9)

    def count(self) -> int:
        with self.lock:
            return len(self.latencies)

    def close(self) -> None:
        self.executor.shutdown()
        self.thread.join(timeout=5)
        self.node.destroy_node()


def measure(cfg: LatencyBenchConfig, image_size: int, work: Path) -> dict:
    import rclpy

    cameras = tuple(task_config(cfg.task)["cameras"])
    layout = ObservationLayout(len(JOINT_NAMES), cameras, image_size)
    checkpoint = write_image_checkpoint(work / f"checkpoint_{image_size}", layout)
    specs = policy_graph(cfg.task, checkpoint=str(checkpoint), sim=True)
    # A benchmark run must not end its episode before enough commands are measured.
    specs = with_parameters(specs, "policy", episode_length=cfg.commands + WARMUP_COMMANDS + 50)
    processes = start_graph(specs, log_dir=work)
    rclpy.init()
    probe = CommandLatencyProbe()
    wanted = cfg.commands + WARMUP_COMMANDS
    deadline = time.monotonic() + cfg.timeout
    try:
        while probe.count() < wanted:
            dead = [name for name, process in processes.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = ", ".join(str(p) for p in sorted(work.glob("*.log")))
                raise RuntimeError(f"got {probe.count()}/{wanted} commands (exited: {dead}); logs: {logs}")
            time.sleep(0.5)
    finally:
        probe.close()
        rclpy.shutdown()
        stop_graph(processes)
    latencies = np.asarray(probe.latencies[WARMUP_COMMANDS:wanted]) * 1e3
    return {
        "image_size": image_size,
        "cameras": list(cameras),
        "commands": int(latencies.size),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
        "max_ms": float(latencies.max()),
        "below_target": bool(np.percentile(latencies, 99) < TARGET_P99_MS),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    cfg = parse_config(LatencyBenchConfig, argv)
    os.environ.update(ros_environment())  # this process's probe too: loopback discovery, the image profile
    rows = []
    with tempfile.TemporaryDirectory(prefix="clam-latency-") as work:
        for size in cfg.image_sizes:
            result = measure(cfg, size, Path(work))
            print(f"{size}x{size}: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms", flush=True)
            rows.append(result)
    write_results(
        "policy_latency",
        "Policy node observation-to-command latency (chunked ResNet18 policy, twin graph, 5 Hz)",
        {"config": vars(cfg), "target_p99_ms": TARGET_P99_MS, "results": rows, "command": " ".join(sys.argv)},
        ["image size", "cameras", "commands", "p50 ms", "p99 ms", "max ms", f"p99 < {TARGET_P99_MS:g} ms"],
        [
            [
                f"{r['image_size']}x{r['image_size']}",
                len(r["cameras"]),
                r["commands"],
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                f"{r['max_ms']:.1f}",
                "yes" if r["below_target"] else "no",
            ]
            for r in rows
        ],
    )
    return rows


if __name__ == "__main__":
    main()
