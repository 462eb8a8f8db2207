"""Could a stopping rule keep Transformer-CLAM's decoder from overfitting D_labelled?

Longer stage-1 training fits D_labelled better but decodes the expert's transitions worse (README, the `long`
profile). A stopping rule would need a signal, from data the method may use, that turns when the expert's
decoding does. This script trains stage 1 of the benchmark's Transformer-CLAM on D_labelled minus every
`holdout_every`-th trajectory and, every `every` updates, measures the action decoder's R² on

- the labelled trajectories it trains on,
- the held-out labelled trajectories (the signal a stopping rule could use),
- the expert's transitions against the expert's own actions (privileged: measured here, never trained on),
  per action dimension (x, y, z, gripper).

    python training/metaworld_decoder_curve.py [--tasks '[assembly-v3]'] [--steps 18000] [--every 1500]

Writes training/results/metaworld_decoder_curve_<profile>.{json,md,png}.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from clam_core.algos.clam import CLAMData, CLAMModel, lam_predictions, train_stage1
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.metaworld_data import (
    load_expert_demonstrations,
    load_metaworld_data,
)
from clam_core.data.normalization import NormStats
from clam_core.envs.metaworld_tasks import PAPER_TASKS
from clam_core.metrics import r2_per_dimension, r2_score
from clam_core.train.config import RunConfig
from training.cli import parse_config
from training.metaworld_methods import clam_config
from training.metaworld_profiles import PROFILES, profile
from training.results_io import RESULTS_DIR, command_line, write_results

ACTION_NAMES = ("x", "y", "z", "gripper")  # MetaWorld's 4-dim action


@dataclass
class DecoderCurveConfig:
    tasks: tuple[str, ...] = PAPER_TASKS
    profile: str = "cpu"  # model sizes, batch size and data of this benchmark profile
    steps: int = 18_000  # stage-1 updates: the `long` profile's
    every: int = 1_500  # updates between measurements
    holdout_every: int = 10  # every n-th D_labelled trajectory is held out of training
    seed: int = 0
    device: str = "cpu"
    workers: int = 2  # data generation processes, when the data are not cached yet
    cache_dir: str | None = None
    work_dir: str = "outputs/metaworld_decoder_curve"
    results_dir: str = str(RESULTS_DIR)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; choose one of {PROFILES}")
        if self.steps < 1 or not 1 <= self.every <= self.steps:
            raise ValueError(f"need 1 <= every <= steps, got every={self.every}, steps={self.steps}")
        if self.holdout_every < 2:
            raise ValueError(f"holdout_every must be at least 2, got {self.holdout_every}")


Split = tuple[LabelledEpisodes, LabelledEpisodes]


def split_labelled(episodes: LabelledEpisodes, holdout_every: int) -> Split:
    """(training, held-out) trajectories: every `holdout_every`-th is held out, so both sets mix D_labelled's
    behaviours (random and noisy expert, stored in blocks) in their proportions."""
    count = len(episodes.episode_ends)
    held = range(holdout_every // 2, count, holdout_every)
    if not held or len(held) == count:
        raise ValueError(f"{count} labelled trajectories leave no split at 1 in {holdout_every}")
    return episodes.select([i for i in range(count) if i not in held]), episodes.select(list(held))


def decoder_scores(model: CLAMModel, episodes: LabelledEpisodes, stats: NormStats) -> dict:
    out = lam_predictions(model, episodes, stats)
    return {
        "r2": r2_score(out.decoded, out.actions),
        "r2_per_dim": [float(v) for v in r2_per_dimension(out.decoded, out.actions)],
    }


def task_curve(task: str, cfg: DecoderCurveConfig) -> list[dict]:
    prof = profile(cfg.profile)
    data, _ = load_metaworld_data(task, prof.data, cfg.cache_dir, cfg.workers, progress=False)
    training, held_out = split_labelled(data.labelled, cfg.holdout_every)
    expert = load_expert_demonstrations(task, prof.data, cfg.cache_dir)
    clam = clam_config(prof, "transformer")
    clam = replace(clam, stage1=replace(clam.stage1, steps=cfg.steps))
    run = RunConfig(
        out_dir=str(Path(cfg.work_dir) / task), device=cfg.device, seed=cfg.seed, progress=False, resume=False
    )
    trained = CLAMData(labelled=training, unlabelled=data.unlabelled, expert=data.expert)
    rows: list[dict] = []
    with tqdm(total=cfg.steps, desc=task, unit="step", mininterval=5.0) as bar:

        def measure(step: int, model: CLAMModel, stats: NormStats) -> None:
            bar.update(1)
            if step % cfg.every:
                return
            sets = (("train", training), ("held_out", held_out), ("expert", expert))
            scores = {name: decoder_scores(model, episodes, stats) for name, episodes in sets}
            rows.append({"step": step, **scores})
            bar.set_postfix(
                held_out=f"{scores['held_out']['r2']:.3f}", expert=f"{scores['expert']['r2']:.3f}"
            )

        train_stage1(clam, trained, run, on_step=measure)
    return rows


def stopping_summary(rows: list[dict]) -> dict:
    """What a rule that keeps the best held-out checkpoint would give, against the last and the best
    checkpoints by the expert's (privileged) decoding, and how the two signals move together."""
    held = np.array([r["held_out"]["r2"] for r in rows])
    expert = np.array([r["expert"]["r2"] for r in rows])
    chosen = int(held.argmax())
    correlation = float(np.corrcoef(held, expert)[0, 1]) if len(rows) > 2 else float("nan")
    return {
        "held_out_best_step": rows[chosen]["step"],
        "expert_r2_at_held_out_best": float(expert[chosen]),
        "expert_r2_last": float(expert[-1]),
        "expert_r2_best": float(expert.max()),
        "expert_best_step": rows[int(expert.argmax())]["step"],
        "held_out_expert_correlation": correlation,
    }


def plot_curves(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.4), squeeze=False)
    for ax, (task, result) in zip(axes[0], results.items(), strict=True):
        steps = [r["step"] for r in result["curve"]]
        for name in ("train", "held_out", "expert"):
            ax.plot(steps, [r[name]["r2"] for r in result["curve"]], marker="o", ms=3, label=name)
        gripper = [r["expert"]["r2_per_dim"][ACTION_NAMES.index("gripper")] for r in result["curve"]]
        ax.plot(steps, gripper, ls="--", label="expert, gripper")
        ax.set_title(task)
        ax.set_xlabel("stage-1 updates")
        ax.set_ylim(-2.0, 1.0)
    axes[0][0].set_ylabel("decoder R²")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _r2(value: float) -> str:
    return f"{value:.2f}"


def write_curves(results: dict, cfg: DecoderCurveConfig, started: float) -> None:
    headers = [
        "task",
        "held-out best: step",
        "expert R² there",
        "expert R² at the last step",
        "expert R² best (step)",
        "corr(held-out, expert)",
        "expert R² per dim at the last step (x, y, z, gripper)",
    ]
    rows = []
    for task, result in results.items():
        summary, last = result["summary"], result["curve"][-1]
        rows.append(
            [
                task,
                summary["held_out_best_step"],
                _r2(summary["expert_r2_at_held_out_best"]),
                _r2(summary["expert_r2_last"]),
                f"{_r2(summary['expert_r2_best'])} ({summary['expert_best_step']})",
                _r2(summary["held_out_expert_correlation"]),
                ", ".join(_r2(v) for v in last["expert"]["r2_per_dim"]),
            ]
        )
    curves = [
        f"{task}, step: train / held-out / expert R² = "
        + "; ".join(
            f"{r['step']}: {_r2(r['train']['r2'])} / {_r2(r['held_out']['r2'])} / {_r2(r['expert']['r2'])}"
            for r in result["curve"]
        )
        for task, result in results.items()
    ]
    notes = [
        f"Transformer-CLAM stage 1 ({cfg.profile} sizes, seed {cfg.seed}) on D_labelled minus 1 trajectory "
        f"in {cfg.holdout_every}; the decoder is measured every {cfg.every} updates. R² averages the action "
        "dimensions; the expert's R² is against the expert's own actions (privileged, never trained on).",
        *curves,
    ]
    name = f"metaworld_decoder_curve_{cfg.profile}"
    out_dir = Path(cfg.results_dir)
    payload = {
        "command": command_line("training/metaworld_decoder_curve.py"),
        "config": asdict(cfg),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    title = "MetaWorld: does held-out labelled data see the decoder overfit?"
    write_results(name, title, payload, headers, rows, out_dir, notes)
    plot_curves(results, out_dir / f"{name}.png")


def main(cfg: DecoderCurveConfig) -> dict:
    """Every task's curve; the results files are rewritten after each task, so a crash keeps the done ones."""
    started = time.perf_counter()
    results = {}
    for task in cfg.tasks:
        curve = task_curve(task, cfg)
        results[task] = {"curve": curve, "summary": stopping_summary(curve)}
        write_curves(results, cfg, started)
    return results


if __name__ == "__main__":
    main(parse_config(DecoderCurveConfig))
