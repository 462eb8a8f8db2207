"""Scripted teleop in the twin: the operator logic drives the real twin to success through its mirror, and
the scripted record graph (sim driver, two sim cameras, recorder, scripted teleop node as processes over
loopback DDS) records accepted episode bags of a fresh scene each."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from clam_bringup.graph import scripted_record_graph
from clam_bringup.processes import start_graph, stop_graph
from clam_core.data.bag_dataset import find_bags
from clam_core.data.bags import read_episode_bag
from clam_ros.arm_backends import TwinArm
from clam_ros.scripted_operator import ACCEPT, RESET, START, ScriptedOperator

CAMERAS = ("external", "shoulder")


def test_scripted_expert_through_the_mirror_closes_the_microwave() -> None:
    twin = TwinArm("microwave", seed=10)
    operator = ScriptedOperator("microwave", "expert", episodes=2, episode_length=100)
    now, requests, statuses = 0.0, [], []
    while not operator.done and now < 300:
        tick = operator.tick(now, (now, twin.snapshot()), twin.read()[0])
        if tick.command is not None:
            twin.write(tick.command)
        if tick.request is not None:
            requests.append(tick.request)
            if tick.request == RESET:
                twin.reset_scene()
            if tick.request == ACCEPT:
                statuses.append(twin.task_status())
            operator.on_response(tick.request, True, now)
        twin.advance(0.2)
        now += 0.2
    twin.close()
    assert requests == [RESET, START, ACCEPT, RESET, START, ACCEPT]
    assert statuses == [{"success": True, "partial_success": True}] * 2


def test_operator_retries_a_refused_start() -> None:
    twin = TwinArm("microwave")
    operator = ScriptedOperator("microwave", "play", episodes=1, episode_length=5)
    operator.on_response(RESET, True, 0.0)
    requests = []
    for step in range(30):
        now = 0.1 + 0.2 * step
        tick = operator.tick(now, (now, twin.snapshot()), twin.read()[0])
        if tick.request is not None:
            requests.append((tick.request, round(now, 1)))
            operator.on_response(tick.request, len(requests) > 1, now)  # the first start is refused
    twin.close()
    (first, t1), (second, t2) = requests[:2]
    assert first == second == START and t2 - t1 >= 1.0  # retried after RETRY_SECONDS, not every tick
    assert operator.steps == 5 and requests[-1][0] == ACCEPT


def test_scripted_record_graph_records_accepted_bags(tmp_path: Path) -> None:
    out = tmp_path / "bags"
    specs = scripted_record_graph(
        "microwave", "play", episodes=2, out_dir=str(out), seed=3, episode_length=12
    )
    processes = start_graph(specs, log_dir=tmp_path)
    try:
        operator = processes["/scripted_teleop"]
        deadline = time.monotonic() + 180
        while operator.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        logs = (tmp_path / "scripted_teleop.log").read_text()
        assert operator.returncode == 0, logs[-3000:]
    finally:
        stop_graph(processes)
    bags = find_bags([out])
    assert len(bags) == 2, [p.name for p in out.iterdir()]
    episodes = [read_episode_bag(bag, with_actions=True, cameras=CAMERAS) for bag in bags]
    for episode in episodes:
        assert episode.meta.accepted and episode.meta.operator == "scripted" and episode.meta.kind == "play"
        assert 9 <= len(episode.states) <= 15
        assert episode.images["external"].shape[1:] == (128, 128, 3)
        assert np.ptp(episode.actions[:, :6], axis=0).max() > 0.01  # the controller moved the arm
    # Each episode starts in a new scene: the first frames differ.
    first_frames = [e.images["external"][0].astype(int) for e in episodes]
    assert np.abs(first_frames[0] - first_frames[1]).mean() > 1.0
