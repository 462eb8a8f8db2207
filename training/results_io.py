"""Benchmark results: JSON + a Markdown table under training/results/, stamped with machine and commit."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from clam_core.train.runtime import resolve_device

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def training_machine(device: str) -> str:
    """One line naming where a benchmark cell was trained, so a table assembled from cells run on several
    machines can say so: the CPU, the GPU if any, and the torch device the training used."""
    gpu = f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return f"{cpu_model()} ({os.cpu_count()} cores{gpu}), trained on {resolve_device(device).type}"


def git_commit() -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{'-dirty' if dirty else ''}"


def command_line(script: str, argv: Sequence[str] | None = None) -> str:
    """How a result was produced: `python <script>` and its arguments (this process's by default)."""
    return " ".join(["python", script, *(argv if argv is not None else sys.argv[1:])])


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(
    name: str,
    title: str,
    payload: dict[str, Any],
    headers: list[str],
    rows: list[list[Any]],
    out_dir: Path = RESULTS_DIR,
    notes: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write `<name>.json` (payload + provenance) and `<name>.md` (the table, `notes` as a list under it,
    then provenance)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine_info(),
    }
    document = {**stamp, **payload}
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    machine = stamp["machine"]
    device = machine.get("gpu", f"{machine['cpu']} ({machine['cpu_count']} cores)")
    listed = "".join(f"- {note}\n" for note in notes) + ("\n" if notes else "")
    md_path.write_text(
        f"# {title}\n\n{markdown_table(headers, rows)}\n\n{listed}"
        f"- machine: {device}, torch {machine['torch']}, {machine['torch_threads']} threads\n"
        f"- commit: `{stamp['commit']}`\n- created: {stamp['created']}\n"
        f"- config: `{json.dumps(payload.get('config', {}), sort_keys=True)}`\n"
        f"- produced by `{payload.get('command', '')}`\n"
    )
    return json_path, md_path
