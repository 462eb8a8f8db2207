"""The end-to-end twin demo (`make demo`) at toy sizes: scripted recording through two ROS graphs, train.py
on the bags, and evaluation of the checkpoint in the policy launch graph on unseen scenes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from clam_core.data.bag_dataset import find_bags
from training.twin_demo import SCENE_SEEDS, TwinDemoConfig, main


@pytest.mark.timeout(600)  # real-time recording and evaluation at 5 Hz: about 3 minutes on 2 cores
def test_demo_records_trains_and_evaluates_through_the_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = TwinDemoConfig(
        play_episodes=2,
        play_length=12,
        expert_episodes=2,
        expert_length=15,
        eval_episodes=2,
        eval_length=8,
        image_size=32,
        stage1_steps=4,
        stage2_steps=4,
        out_dir=str(tmp_path / "demo"),
        extra_train_args=["--clam.lam.spacetime.patch_size", "16", "--clam.policy.image.n_layers", "1"],
    )
    summary = main(cfg)
    out = tmp_path / "demo"
    assert json.loads((out / "summary.json").read_text()) == summary
    assert {kind: len(find_bags([out / "bags" / kind])) for kind in ("play", "expert")} == {
        "play": 2,
        "expert": 2,
    }
    assert (out / "train" / "checkpoint" / "config.json").is_file()
    assert (out / "rollout.png").stat().st_size > 0
    episodes = summary["episodes"]
    assert len(episodes) == 2
    # Each episode ran on a new, unseen scene and the policy commanded the arm until the episode ended.
    seeds = [e["seed"] for e in episodes]
    assert len(set(seeds)) == 2 and min(seeds) > SCENE_SEEDS["eval"]
    assert all(e["success"] or e["commands"] >= cfg.eval_length for e in episodes)
    assert (
        0.0 <= summary["success_rate"] <= summary["partial_success_rate"] <= 1.0
        or summary["success_rate"] <= 1.0
    )
    assert (out / "logs" / "policy" / "policy.log").is_file()

    # A rerun keeps what is there: no new recording, the finished training resumes at its end.
    capsys.readouterr()
    again = main(replace(cfg, eval_episodes=1))
    printed = capsys.readouterr().out
    assert "reusing the 2 play bags" in printed and "reusing the 2 expert bags" in printed
    assert {kind: len(find_bags([out / "bags" / kind])) for kind in ("play", "expert")} == {
        "play": 2,
        "expert": 2,
    }
    assert again["checkpoint"] == summary["checkpoint"] and len(again["episodes"]) == 1
