"""Turn finished benchmark cells into the paper-style tables: per method and task the mean, std and n of
the success rate over seeds, plus each method's average over tasks; JSON + Markdown (results_io) and a
grouped bar chart like the paper's Figure 3."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from training.benchmark_cells import Cell, CellStore
from training.results_io import RESULTS_DIR, write_results


def summarise(store: CellStore, cells: list[Cell]) -> dict[str, dict[str, Any]]:
    """{method: {task: {mean, std, n, rollouts}, "average": mean over tasks with results}}."""
    table: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(c.method for c in cells):
        row: dict[str, Any] = {}
        for task in dict.fromkeys(c.task for c in cells):
            results = [store.result(c) for c in cells if c.method == method and c.task == task]
            rates = [r["success"] for r in results if r is not None]
            if rates:
                row[task] = {
                    "mean": round(float(np.mean(rates)), 4),
                    "std": round(float(np.std(rates)), 4),
                    "n": len(rates),
                    "rollouts": sum(r["episodes"] for r in results if r is not None),
                }
        means = [v["mean"] for v in row.values()]
        row["average"] = round(float(np.mean(means)), 4) if means else None
        table[method] = row
    return table


def markdown_rows(table: dict[str, dict[str, Any]], tasks: list[str]) -> tuple[list[str], list[list[str]]]:
    headers = ["method", *tasks, "average"]
    rows = []
    for method, row in table.items():
        cells = [
            f"{row[t]['mean']:.2f} ± {row[t]['std']:.2f} (n={row[t]['n']})" if t in row else "—"
            for t in tasks
        ]
        average = row.get("average")
        rows.append([method, *cells, "—" if average is None else f"{average:.2f}"])
    return headers, rows


def bar_chart(table: dict[str, dict[str, Any]], tasks: list[str], title: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    methods = list(table)
    width = 0.8 / max(len(methods), 1)
    figure, axes = plt.subplots(figsize=(max(2.2 * len(tasks) + 3, 7), 4.5))
    positions = np.arange(len(tasks))
    for index, method in enumerate(methods):
        means = [table[method].get(t, {}).get("mean", np.nan) for t in tasks]
        errors = [table[method].get(t, {}).get("std", 0.0) for t in tasks]
        axes.bar(positions + index * width, means, width, yerr=errors, label=method, capsize=2)
    axes.set_xticks(positions + width * (len(methods) - 1) / 2, tasks)
    axes.set_ylabel("success rate")
    axes.set_ylim(0, 1.05)
    axes.set_title(textwrap.fill(title, 70), fontsize=9)
    axes.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def write_table(
    name: str,
    title: str,
    store: CellStore,
    cells: list[Cell],
    payload: dict[str, Any],
    out_dir: Path = RESULTS_DIR,
) -> dict[str, Path]:
    """`<name>.json`, `<name>.md` and `<name>.png` for one table of the benchmark."""
    tasks = list(dict.fromkeys(c.task for c in cells))
    table = summarise(store, cells)
    headers, rows = markdown_rows(table, tasks)
    json_path, md_path = write_results(name, title, {**payload, "results": table}, headers, rows, out_dir)
    png_path = bar_chart(table, tasks, title, out_dir / f"{name}.png")
    return {"json": json_path, "md": md_path, "png": png_path}
