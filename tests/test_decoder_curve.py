"""The decoder-curve diagnostic: the labelled split, the stage-1 hook it measures through, the stopping
summary, and a real run on generated smoke data."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import quiet_run, small_clam_config

from clam_core.algos.clam import train_stage1
from clam_core.data.episodes import LabelledEpisodes
from training.metaworld_decoder_curve import DecoderCurveConfig, main, split_labelled, stopping_summary


def test_split_holds_out_one_trajectory_in_n_from_every_part_of_the_set() -> None:
    episodes = LabelledEpisodes.from_arrays(
        [np.full((3, 2), i, dtype=np.float32) for i in range(20)],
        [np.full((3, 1), i, dtype=np.float32) for i in range(20)],
    )
    training, held_out = split_labelled(episodes, holdout_every=5)
    held_ids = sorted({int(v) for v in held_out.observations[:, 0]})
    train_ids = sorted({int(v) for v in training.observations[:, 0]})
    assert held_ids == [2, 7, 12, 17]  # spread over the set, whose behaviours come in blocks
    assert sorted(held_ids + train_ids) == list(range(20))
    assert held_out.actions[:, 0].unique().tolist() == [2.0, 7.0, 12.0, 17.0]  # actions follow their frames
    with pytest.raises(ValueError, match="no split"):
        split_labelled(episodes.select([0]), 5)


def test_stopping_summary_reports_what_the_held_out_best_checkpoint_would_give() -> None:
    rows = [
        {"step": step, "held_out": {"r2": held}, "expert": {"r2": expert}}
        for step, held, expert in ((10, 0.5, 0.6), (20, 0.7, 0.4), (30, 0.6, 0.1))
    ]
    summary = stopping_summary(rows)
    assert summary["held_out_best_step"] == 20
    assert summary["expert_r2_at_held_out_best"] == pytest.approx(0.4)
    assert summary["expert_r2_last"] == pytest.approx(0.1)
    assert (summary["expert_r2_best"], summary["expert_best_step"]) == (pytest.approx(0.6), 10)
    assert -1.0 <= summary["held_out_expert_correlation"] <= 1.0


def test_stage1_hook_sees_every_update_and_leaves_the_model_training(small_toy_data, tmp_path: Path) -> None:
    seen = []

    def hook(step, model, stats) -> None:
        seen.append((step, model.lam.training))
        model.eval()  # as a measurement does; the trainer must switch training mode back on

    trained = train_stage1(small_clam_config(steps=12), small_toy_data, quiet_run(tmp_path), on_step=hook)
    assert seen == [(step, True) for step in range(1, 13)]
    assert trained.model.policy is not None and trained.stats is not None


def test_curve_runs_on_smoke_data_and_writes_its_results(tmp_path: Path) -> None:
    cfg = DecoderCurveConfig(
        tasks=("assembly-v3",),
        profile="smoke",
        steps=20,
        every=10,
        holdout_every=3,
        workers=1,
        cache_dir=str(tmp_path / "cache"),
        work_dir=str(tmp_path / "runs"),
        results_dir=str(tmp_path / "results"),
    )
    main(cfg)
    results = tmp_path / "results"
    saved = json.loads((results / "metaworld_decoder_curve_smoke.json").read_text())
    curve = saved["results"]["assembly-v3"]["curve"]
    assert [row["step"] for row in curve] == [10, 20]
    for row in curve:
        for name in ("train", "held_out", "expert"):
            assert np.isfinite(row[name]["r2"]) and len(row[name]["r2_per_dim"]) == 4
            assert row[name]["r2"] == pytest.approx(np.mean(row[name]["r2_per_dim"]), abs=1e-6)
    assert "| assembly-v3 |" in (results / "metaworld_decoder_curve_smoke.md").read_text()
    assert (results / "metaworld_decoder_curve_smoke.png").stat().st_size > 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="every"):
        DecoderCurveConfig(steps=10, every=20)
    with pytest.raises(ValueError, match="holdout_every"):
        DecoderCurveConfig(holdout_every=1)
    with pytest.raises(ValueError, match="profile"):
        DecoderCurveConfig(profile="huge")
