"""The MetaWorld benchmark runner: cells are stored atomically, claimed exclusively and resumed; the smoke
profile runs every method and table end to end (real MetaWorld, real training, real rollouts) and writes
the JSON, Markdown and PNG tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from train_cli import ROOT

from clam_core.train.config import OptimConfig
from training.benchmark_cells import Cell, CellStore, config_key
from training.benchmark_report import cells_per_machine
from training.metaworld_methods import (
    MAIN_METHODS,
    TABLES,
    bc_config,
    clam_config,
    dynamo_config,
    earlier_twin,
    lapa_config,
    table_methods,
    vpt_config,
)
from training.metaworld_profiles import LONG_STEP_FACTOR, Profile, profile

BENCHMARK = str(ROOT / "training" / "benchmark.py")


def test_cells_are_claimed_exclusively_and_stale_locks_are_taken_over(tmp_path: Path) -> None:
    store = CellStore(tmp_path, "key-a")
    cell = Cell("main", "tf_clam", "assembly-v3", 0)
    assert store.claim(cell) and not store.claim(cell)  # held by this (live) process
    store.release(cell)
    lock = cell.path(tmp_path).with_suffix(".lock")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(str(dead.pid))  # left behind by a crashed run
    assert store.claim(cell)
    store.release(cell)
    store.save(cell, {"success": 0.5, "episodes": 2})
    assert list(store.pending([cell])) == [] and store.result(cell)["success"] == 0.5
    assert not any(p.name.startswith("seed0.json.tmp") for p in cell.path(tmp_path).parent.iterdir())


def test_results_of_another_profile_configuration_count_as_missing(tmp_path: Path) -> None:
    cell = Cell("main", "bc_al", "assembly-v3", 0)
    CellStore(tmp_path, config_key(profile("cpu"))).save(cell, {"success": 0.5, "episodes": 2})
    edited = profile("cpu")
    edited.lam_steps += 1
    assert config_key(edited) != config_key(profile("cpu"))
    stale = CellStore(tmp_path, config_key(edited))
    assert stale.result(cell) is None and list(stale.pending([cell])) == [cell]
    regridded = profile("cpu")  # fields that only shape the grid leave the cells valid
    regridded.tasks, regridded.seeds = ("bin-picking-v3",), 3
    assert CellStore(tmp_path, config_key(regridded)).result(cell)["success"] == 0.5


def _benchmark(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        BENCHMARK,
        "metaworld",
        "--profile",
        "smoke",
        "--device",
        "cpu",
        "--quiet",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--work-dir",
        str(tmp_path / "work"),
        "--results-dir",
        str(tmp_path / "results"),
        *extra,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp_path = tmp_path_factory.mktemp("benchmark")
    return tmp_path, _benchmark(tmp_path)


def test_smoke_profile_runs_every_method_and_writes_the_tables(smoke) -> None:
    tmp_path, result = smoke
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = tmp_path / "results"
    main = json.loads((results / "metaworld_smoke.json").read_text())
    assert list(main["results"]) == list(MAIN_METHODS)
    for method, row in main["results"].items():
        cell = row["assembly-v3"]
        assert cell["n"] == 1 and cell["rollouts"] == 4 and 0.0 <= cell["mean"] <= 1.0, (method, cell)
        assert row["average"] == cell["mean"]
    assert {"commit", "machine", "config", "datasets"} <= set(main)
    assert main["datasets"]["assembly-v3"]["labelled"]["episodes"] == 6
    for table in ("ablation", "beta", "latent_dim"):
        payload = json.loads((results / f"metaworld_smoke_{table}.json").read_text())
        assert payload["results"] and all(row["average"] is not None for row in payload["results"].values())
        assert (results / f"metaworld_smoke_{table}.png").stat().st_size > 5000
    table = (results / "metaworld_smoke.md").read_text()
    assert "| tf_clam |" in table and "assembly-v3" in table and "commit" in table
    assert "D_labelled's own success rate (before keeping only failed episodes): assembly-v3 0.00 (" in table
    collapse = main["collapse_check"]["tf_clam"]["assembly-v3/seed0"]
    assert collapse["recon_loss"] > 0 and collapse["copy_last_loss"] > 0
    cell = json.loads((results / "metaworld_smoke_cells/main/tf_clam/assembly-v3/seed0.json").read_text())
    assert -1e6 < cell["lam_expert_decoder_r2"] <= 1.0  # decoder against the expert's own actions
    assert cell["lam_expert_decoder_r2_weighted"] <= 1.0
    assert cell["trained_on"].endswith("trained on cpu")  # where each cell ran, for tables from many machines
    assert main["cells_trained_on"] == {cell["trained_on"]: len(MAIN_METHODS)}
    assert f"Cells trained on {cell['trained_on']}: {len(MAIN_METHODS)} cells." in table
    twin = json.loads((results / "metaworld_smoke_cells/beta/beta=1/assembly-v3/seed0.json").read_text())
    assert twin["same_as"] == "main/tf_clam" and twin["successes"] == cell["successes"]
    assert "beta=1 = main tf_clam" in (results / "metaworld_smoke_beta.md").read_text()
    assert "[main] tf_clam on assembly-v3" in result.stdout and "[main] lapo" in result.stdout
    assert result.stdout.count("reused from") == 5  # 2 ablation cells, beta=0 and 1, latent_dim=16


def test_sweep_cells_that_repeat_an_earlier_cell_are_found_by_configuration() -> None:
    cpu = profile("cpu")
    twins = {(t, m): earlier_twin(t, m, cpu) for t in TABLES[1:] for m in table_methods(t, cpu)}
    assert {cell: twin for cell, twin in twins.items() if twin} == {
        ("ablation", "discrete_separate"): ("main", "lapo"),  # LAPO: VQ latents, decoder trained afterwards
        ("ablation", "continuous_joint"): ("main", "tf_clam"),
        ("beta", "beta=0"): ("ablation", "continuous_separate"),
        ("beta", "beta=1"): ("main", "tf_clam"),
        ("latent_dim", "latent_dim=16"): ("main", "tf_clam"),
    }
    cpu.sizes.latent_dim = 8  # the twin follows the configuration, not the names
    assert earlier_twin("latent_dim", "latent_dim=8", cpu) == ("main", "tf_clam")
    assert earlier_twin("latent_dim", "latent_dim=16", cpu) is None


def test_a_second_run_resumes_without_retraining(smoke) -> None:
    tmp_path, _ = smoke
    again = _benchmark(tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "already done" in again.stdout and "success" not in again.stdout.split("already done")[1]


def test_unknown_task_is_a_clear_error(tmp_path: Path) -> None:
    result = _benchmark(tmp_path, "--tasks", "cook-dinner-v3")
    assert result.returncode == 2 and "unknown or expert-less MetaWorld task" in result.stderr


def test_long_profile_is_the_cpu_profile_with_more_updates_only() -> None:
    cpu, long = asdict(profile("cpu")), asdict(profile("long"))
    for steps in ("lam_steps", "policy_steps"):
        assert long.pop(steps) == LONG_STEP_FACTOR * cpu.pop(steps)
    assert long.pop("name") == "long" and cpu.pop("name") == "cpu"
    assert long == cpu


def _stage_optimisers(prof: Profile) -> tuple[list[OptimConfig], list[OptimConfig]]:
    """Every method's policy-stage optimiser settings, then every pretraining stage's."""
    clam, vpt, lapa, dynamo = clam_config(prof), vpt_config(prof), lapa_config(prof), dynamo_config(prof)
    policy_stages = [clam.stage2, bc_config(prof).optim, vpt.bc.optim, lapa.finetune, dynamo.bc.optim]
    pretraining = [clam.stage1, vpt.idm_optim, lapa.clam.stage1, dynamo.pretrain]
    return policy_stages, pretraining


def test_long_policy_profile_is_the_cpu_profile_with_more_policy_updates_only() -> None:
    cpu, long_policy = asdict(profile("cpu")), asdict(profile("cpu_long_policy"))
    assert long_policy.pop("policy_steps") == LONG_STEP_FACTOR * cpu.pop("policy_steps")
    assert long_policy.pop("name") == "cpu_long_policy" and cpu.pop("name") == "cpu"
    assert long_policy == cpu

    prof = profile("cpu_long_policy")
    policy_stages, pretraining = _stage_optimisers(prof)
    assert {stage.steps for stage in policy_stages} == {LONG_STEP_FACTOR * profile("cpu").policy_steps}
    assert {stage.steps for stage in pretraining} == {profile("cpu").lam_steps}


def test_context2_profile_is_the_cpu_profile_with_two_steps_of_context_only() -> None:
    cpu, context2 = asdict(profile("cpu")), asdict(profile("cpu_context2"))
    assert cpu["sizes"].pop("context") == 1 and context2["sizes"].pop("context") == 2
    assert context2.pop("name") == "cpu_context2" and cpu.pop("name") == "cpu"
    assert context2 == cpu


def test_cosine_profile_decays_every_policy_stage_and_no_pretraining() -> None:
    cpu, cosine = asdict(profile("cpu")), asdict(profile("cpu_cosine"))
    assert cpu.pop("policy_schedule") == "constant" and cosine.pop("policy_schedule") == "cosine"
    assert cosine.pop("name") == "cpu_cosine" and cpu.pop("name") == "cpu"
    assert cosine == cpu

    prof = profile("cpu_cosine")
    policy_stages, pretraining = _stage_optimisers(prof)
    assert {stage.schedule for stage in policy_stages} == {"cosine"}
    assert {stage.schedule for stage in pretraining} == {"constant"}
    assert {stage.steps for stage in policy_stages} == {prof.policy_steps}


def test_a_table_says_where_its_cells_were_trained(tmp_path: Path) -> None:
    store = CellStore(tmp_path, "key")
    cells = [Cell("main", "vpt", "assembly-v3", seed) for seed in range(3)]
    store.save(cells[0], {"success": 1.0, "episodes": 2, "trained_on": "H100 host, trained on cuda"})
    store.save(cells[1], {"success": 0.0, "episodes": 2})  # written before cells recorded it
    assert cells_per_machine(store, cells) == {"H100 host, trained on cuda": 1, "not recorded": 1}
