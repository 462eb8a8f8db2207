"""The MetaWorld gripper probe: which steps count as carrying, and a real run on generated smoke data."""

import json
from pathlib import Path

import numpy as np
import pytest

from training.metaworld_gripper_probe import GripperProbeConfig, carried_commands, carrying, main


def _states(hand: np.ndarray, obj: np.ndarray) -> np.ndarray:
    states = np.zeros((len(hand), 39), dtype=np.float32)
    states[:, 0:3], states[:, 4:7] = hand, obj
    return states


def test_carrying_needs_the_object_to_move_with_a_moving_hand() -> None:
    path = np.cumsum(np.full((5, 3), 0.01), axis=0)
    still = np.zeros((5, 3))
    assert carrying(_states(path, path + 0.2)).all()  # rigidly attached, offset or not
    assert not carrying(_states(path, still)).any()  # the hand moves away from the object
    assert not carrying(_states(still, still)).any()  # nothing moves: no evidence either way
    arrays = {
        "observations": [_states(path, path), _states(path, still)],
        "actions": [np.full((5, 4), 0.6), np.full((5, 4), -1.0)],
    }
    stats = carried_commands(arrays)
    assert stats["carrying_steps"] == 4 and stats["steps"] == 8
    assert stats["mean"] == pytest.approx(0.6)


def test_probe_runs_the_expert_with_replaced_closing_commands(tmp_path: Path) -> None:
    cfg = GripperProbeConfig(
        tasks=("assembly-v3",),
        commands=(-1.0, 1.0),
        episodes=4,
        workers=1,
        profile="smoke",
        cache_dir=str(tmp_path / "cache"),
        results_dir=str(tmp_path / "results"),
    )
    main(cfg)
    saved = json.loads((tmp_path / "results" / "metaworld_gripper_probe.json").read_text())
    result = saved["results"]["assembly-v3"]
    # Never closing cannot lift the ring; closing fully holds it as well as the expert's own 0.6 does.
    assert result["success_by_closing_command"]["-1"] == 0.0
    assert result["success_by_closing_command"]["1"] >= 0.75
    assert result["carried_commands"]["expert"]["mean"] == pytest.approx(0.6, abs=1e-6)
    table = (tmp_path / "results" / "metaworld_gripper_probe.md").read_text()
    assert "| assembly-v3 | 0.00 |" in table


def test_commands_outside_the_action_space_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        GripperProbeConfig(commands=(1.5,))
