"""Turn finished benchmark cells into the paper-style tables: per method and task the mean, std and n of
the success rate over seeds (and of any further rate the cells record, e.g. partial success), plus each
method's average over tasks; JSON + Markdown (results_io) and a grouped bar chart like the paper's
Figure 3."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from training.benchmark_cells import Cell, CellStore
from training.results_io import RESULTS_DIR, write_results

SUCCESS = "success"


def _prefix(metric: str) -> str:
    """Key prefix of a rate in the summary: none for the success rate, `<metric>_` for the others."""
    return "" if metric == SUCCESS else f"{metric}_"


def _spread(metric: str, results: list[dict[str, Any]]) -> dict[str, float]:
    rates = [r[metric] for r in results]
    prefix = _prefix(metric)
    return {f"{prefix}mean": round(float(np.mean(rates)), 4), f"{prefix}std": round(float(np.std(rates)), 4)}


def summarise(
    store: CellStore, cells: list[Cell], extra_metrics: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """{method: {task: {mean, std, n, rollouts}, "average": mean over tasks with results}}; each extra
    metric adds `<metric>_mean` and `<metric>_std` per task and `<metric>_average` per method."""
    table: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(c.method for c in cells):
        row: dict[str, Any] = {}
        for task in dict.fromkeys(c.task for c in cells):
            found = (store.result(c) for c in cells if c.method == method and c.task == task)
            results = [r for r in found if r is not None]
            if results:
                row[task] = {
                    **_spread(SUCCESS, results),
                    "n": len(results),
                    "rollouts": sum(r["episodes"] for r in results),
                }
                for metric in extra_metrics:
                    row[task].update(_spread(metric, results))
        entries = list(row.values())
        for metric in (SUCCESS, *extra_metrics):
            means = [entry[f"{_prefix(metric)}mean"] for entry in entries]
            row[f"{_prefix(metric)}average"] = round(float(np.mean(means)), 4) if means else None
        table[method] = row
    return table


def cells_per_machine(store: CellStore, cells: list[Cell]) -> dict[str, int]:
    """How many of the finished cells were trained on each machine (cells may come from several)."""
    found = (store.result(c) for c in cells)
    return dict(Counter(r.get("trained_on", "not recorded") for r in found if r is not None))


def trained_on_note(places: dict[str, int]) -> str:
    listed = "; ".join(f"{place}: {count} cells" for place, count in places.items())
    return f"Cells trained on {listed}. The machine line below is where this table was written."


def markdown_rows(
    table: dict[str, dict[str, Any]], tasks: list[str], extra_metrics: Sequence[str] = ()
) -> tuple[list[str], list[list[str]]]:
    """One row per method; a cell reads `mean ± std` of each rate, separated by ` / `, then `(n=seeds)`."""
    prefixes = [_prefix(m) for m in (SUCCESS, *extra_metrics)]
    headers = ["method", *tasks, "average"]
    rows = []
    for method, row in table.items():
        cells = [
            " / ".join(f"{row[t][p + 'mean']:.2f} ± {row[t][p + 'std']:.2f}" for p in prefixes)
            + f" (n={row[t]['n']})"
            if t in row
            else "—"
            for t in tasks
        ]
        averages = [row.get(p + "average") for p in prefixes]
        average = "—" if averages[0] is None else " / ".join(f"{a:.2f}" for a in averages)
        rows.append([method, *cells, average])
    return headers, rows


def bar_chart(
    table: dict[str, dict[str, Any]],
    tasks: list[str],
    title: str,
    path: Path,
    extra_metrics: Sequence[str] = (),
) -> Path:
    """Filled bars for the success rate (± std over seeds); each extra rate as a dashed outline on top."""
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
        colour = f"C{index}"
        x = positions + index * width
        axes.bar(x, means, width, yerr=errors, label=method, capsize=2, color=colour)
        for metric in extra_metrics:
            rates = [table[method].get(t, {}).get(f"{metric}_mean", np.nan) for t in tasks]
            axes.bar(x, rates, width, fill=False, edgecolor=colour, linestyle="--")
    axes.set_xticks(positions + width * (len(methods) - 1) / 2, tasks)
    outlines = "".join(f", {m} (dashed outline)" for m in extra_metrics)
    axes.set_ylabel(f"success rate{outlines}")
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
    extra_metrics: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> dict[str, Path]:
    """`<name>.json`, `<name>.md` (with `notes` under the table) and `<name>.png` for one table."""
    tasks = list(dict.fromkeys(c.task for c in cells))
    table = summarise(store, cells, extra_metrics)
    headers, rows = markdown_rows(table, tasks, extra_metrics)
    places = cells_per_machine(store, cells)
    json_path, md_path = write_results(
        name,
        title,
        {**payload, "results": table, "cells_trained_on": places},
        headers,
        rows,
        out_dir,
        [*notes, trained_on_note(places)] if places else notes,
    )
    png_path = bar_chart(table, tasks, title, out_dir / f"{name}.png", extra_metrics)
    return {"json": json_path, "md": md_path, "png": png_path}
