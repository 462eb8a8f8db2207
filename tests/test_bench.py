"""The throughput benchmark runs its real training step and writes JSON + Markdown with provenance."""

import json
from pathlib import Path

import torch

from training.bench_throughput import BenchConfig, measure
from training.results_io import write_results


def test_measure_times_real_training_steps() -> None:
    cfg = BenchConfig(seconds=0.0, min_steps=3, warmup_steps=1, episodes=4, episode_length=20)
    result = measure("mlp", torch.device("cpu"), cfg)
    assert result["steps"] == 3 and result["updates_per_s"] > 0
    assert result["lam_parameters"] > 2_000_000  # the paper-size MLP LAM, not a toy
    # 128 unlabelled windows every step plus 128 labelled windows every K = 2 steps.
    assert abs(result["samples_per_s"] / result["updates_per_s"] - (128 + 128 / 2)) < 1.0


def test_results_carry_machine_commit_and_config(tmp_path: Path) -> None:
    json_path, md_path = write_results(
        "probe",
        "Probe",
        {"config": {"x": 1}, "command": "python probe.py"},
        ["a", "b"],
        [[1, 2]],
        out_dir=tmp_path,
    )
    document = json.loads(json_path.read_text())
    assert document["config"] == {"x": 1} and document["machine"]["cpu_count"] >= 1
    assert len(document["commit"]) >= 7
    table = md_path.read_text()
    assert "| a | b |" in table and "| 1 | 2 |" in table and "commit:" in table
