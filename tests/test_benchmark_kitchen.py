"""The image-based kitchen benchmark end to end on the smoke profile: real twin data, every method trained for
a few steps, real rollouts, the JSON/Markdown/PNG table; finished cells are reused on a rerun."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from training import bench_kitchen_memory, kitchen_cells, kitchen_label_fit
from training.benchmark import main
from training.kitchen_methods import METHODS
from training.kitchen_profiles import MORE_PLAY, SHIFT_PIXELS, profile


def _benchmark(tmp_path: Path, *extra: str) -> str:
    """Run the smoke profile in this process; returns what it printed."""
    argv = ["kitchen", "--profile", "smoke", "--device", "cpu", "--workers", "1", "--quiet"]
    for option in ("cache", "work", "results"):
        argv += [f"--{option}-dir", str(tmp_path / option)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main([*argv, *extra]) == 0
    return printed.getvalue()


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("kitchen_benchmark")
    _benchmark(tmp_path)
    return tmp_path


def test_smoke_profile_runs_every_method_and_writes_the_table(smoke: Path) -> None:
    results = smoke / "results"
    payload = json.loads((results / "kitchen_smoke.json").read_text())
    assert list(payload["results"]) == list(METHODS)
    for method, row in payload["results"].items():
        cell = row["microwave"]
        assert cell["n"] == 1 and cell["rollouts"] == 2, (method, cell)
        assert 0.0 <= cell["mean"] <= cell["partial_mean"] <= 1.0, (method, cell)  # success implies partial
        assert row["average"] == cell["mean"] and row["partial_average"] == cell["partial_mean"]
        result = json.loads((results / f"kitchen_smoke_cells/main/{method}/microwave/seed0.json").read_text())
        assert len(result["successes"]) == len(result["partials"]) == len(result["steps"]) == 2
        assert result["eval_seed"] == kitchen_cells.EVAL_SEED and result["train_seconds"] > 0
        assert result["trained_on"].endswith("trained on cpu")
    assert payload["datasets"]["play"]["episodes"] == 4
    assert payload["datasets"]["expert_microwave"]["success_rate"] > 0
    assert set(payload["target_check"]["st_clam_beats_rivals"]) == {"microwave"}
    collapse = payload["collapse_check"]["st_clam"]["microwave/seed0"]
    assert collapse["recon_loss"] > 0 and collapse["copy_last_loss"] > 0
    table = (results / "kitchen_smoke.md").read_text()
    assert "| st_clam |" in table and "microwave" in table and " / " in table
    assert "Target: ST-CLAM beats vpt and bc_al on every task" in table and "Target check" in table
    assert (results / "kitchen_smoke.png").stat().st_size > 5000
    assert sum(payload["cells_trained_on"].values()) == len(METHODS)


def test_a_second_run_reuses_finished_cells(smoke: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_training(*_: object) -> None:
        raise AssertionError("a finished cell was trained again")

    monkeypatch.setattr(kitchen_cells, "train_method", no_training)
    printed = _benchmark(smoke)
    cells = len(METHODS)  # one task, one seed
    assert f"{cells} cells, {cells} already done" in printed and "success" not in printed


def test_help_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["kitchen", "--help"])
    assert done.value.code == 0 and "--report-only" in capsys.readouterr().out
    with pytest.raises(SystemExit) as failed:
        main(["kitchen", "--tasks", "cook_dinner"])
    assert failed.value.code == 2 and "invalid choice: 'cook_dinner'" in capsys.readouterr().err


def test_label_fit_scores_every_trained_policy_against_the_experts_actions(smoke: Path) -> None:
    fit = kitchen_label_fit.main(
        kitchen_label_fit.LabelFitConfig(
            profile="smoke",
            seeds=2,
            work_dir=str(smoke / "work"),
            cache_dir=str(smoke / "cache"),
            results_dir=str(smoke / "results"),
        )
    )
    assert list(fit["fits"]) == list(METHODS)
    for method, cells in fit["fits"].items():
        assert list(cells) == ["microwave/seed0"], method  # seed 1 was never trained
        assert cells["microwave/seed0"]["r2"] <= 1.0 and cells["microwave/seed0"]["mse"] > 0
    assert fit["missing"] == [f"{method}/microwave/seed1" for method in METHODS]
    table = (smoke / "results" / "kitchen_smoke_label_fit.md").read_text()
    assert "| bc_expert |" in table and "microwave/seed0" in table and "no checkpoint" in table

    # The fits were stored as cells: a machine without those checkpoints still reports them.
    again = kitchen_label_fit.main(
        kitchen_label_fit.LabelFitConfig(
            profile="smoke",
            work_dir=str(smoke / "no_checkpoints_here"),
            cache_dir=str(smoke / "cache"),
            results_dir=str(smoke / "results"),
        )
    )
    assert again["fits"] == fit["fits"] and again["missing"] == []


@pytest.mark.parametrize("name", ["cpu_more_play", "cpu_paper_play"])
def test_more_play_profiles_are_the_cpu_profile_with_more_play_only(name: str) -> None:
    cpu, more = asdict(profile("cpu")), asdict(profile(name))
    assert more["data"].pop("play_episodes") == MORE_PLAY[name] > cpu["data"].pop("play_episodes")
    assert more.pop("name") == name and cpu.pop("name") == "cpu"
    assert more == cpu
    assert MORE_PLAY["cpu_paper_play"] * profile(name).data.play_length == 50_000  # the paper's play size


def test_shift_profile_is_the_cpu_profile_with_shifted_policy_images_only() -> None:
    cpu, shift = asdict(profile("cpu")), asdict(profile("cpu_shift"))
    assert cpu["policy"]["image"].pop("random_shift") == 0
    assert shift["policy"]["image"].pop("random_shift") == SHIFT_PIXELS > 0
    assert shift.pop("name") == "cpu_shift" and cpu.pop("name") == "cpu"
    assert shift == cpu
    assert profile("paper").policy.image.random_shift == SHIFT_PIXELS


def test_memory_benchmark_reports_each_methods_peak_from_its_own_process(smoke: Path) -> None:
    results = smoke / "memory"
    argv = ["--profile", "smoke", "--task", "microwave", "--methods", "[bc_al,st_clam]", "--steps", "1"]
    measured = bench_kitchen_memory.main(
        [*argv, "--cache_dir", str(smoke / "cache"), "--results_dir", str(results)]
    )
    assert list(measured) == ["bc_al", "st_clam"]
    smoke_data = profile("smoke").data
    for method in measured.values():
        assert method["play_steps"] == smoke_data.play_episodes * smoke_data.play_length
        assert 0 < method["observations_gb"] < method["peak_rss_gb"]  # the process holds more than the data
    payload = json.loads((results / "kitchen_memory_smoke.json").read_text())
    assert payload["results"] == measured and payload["commit"]
    assert "| st_clam | 40 |" in (results / "kitchen_memory_smoke.md").read_text()
    with pytest.raises(SystemExit):
        bench_kitchen_memory.main(["--profile", "smoke", "--task", "block"])  # not a smoke task
