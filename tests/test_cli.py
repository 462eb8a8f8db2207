"""Entry points take typed CLI overrides (draccus) and reject bad values with a clear message."""

import subprocess
import sys
from pathlib import Path

import draccus
import pytest

from training.demo import DemoConfig

ROOT = Path(__file__).resolve().parent.parent


def test_nested_overrides_reach_the_typed_config() -> None:
    cfg = draccus.parse(
        DemoConfig,
        args=[
            "--clam.lam.kind",
            "transformer",
            "--clam.stage1.steps",
            "7",
            "--clam.beta",
            "0.5",
            "--clam.lam.vq.enabled",
            "true",
        ],
    )
    assert cfg.clam.lam.kind == "transformer" and cfg.clam.stage1.steps == 7
    assert cfg.clam.beta == 0.5 and cfg.clam.lam.vq.enabled is True


def test_invalid_choice_is_one_clear_line_and_exit_code_2() -> None:
    result = subprocess.run(
        [sys.executable, "training/demo.py", "--clam.lam.kind", "gru"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "error: unknown LAM kind 'gru'; choose one of ('mlp', 'transformer', 'spacetime')" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("script", ["training/demo.py", "training/bench_throughput.py"])
def test_help_lists_the_options(script: str) -> None:
    result = subprocess.run(
        [sys.executable, script, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "--" in result.stdout and "usage" in result.stdout.lower()
