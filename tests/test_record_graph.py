"""Recording through the real graph in the twin: sim arm driver, two sim cameras, the Quest teleop node
played by a scripted TLS headset, and the recorder, all separate processes over loopback DDS. Episodes are
controlled by the headset's buttons and by services; the recorder is killed with SIGKILL mid-episode; then
`training/train.py` turns the bags into a checkpoint that the policy node runs."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from ros_probe import Probe, wait_until
from rosbags.rosbag2 import Reader
from scripted_headset import ScriptedHeadset
from std_srvs.srv import Trigger
from teleop_graph import loopback_teleop_settings, running_teleop_graph
from train_cli import ROOT, SMALL, TRAIN

from clam_bringup.graph import policy_graph, record_graph
from clam_bringup.processes import start_node
from clam_core.data.bags import RECORDING_SUFFIX, BagError, read_episode_bag, read_meta

TOKEN = "record-secret"
CAMERAS = ("external", "shoulder")


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("record")
    settings = loopback_teleop_settings(root, TOKEN)
    play = str(root / "play")
    specs = record_graph(sim=True, task="microwave", operator="ci", out_dir=play, teleop=settings)
    with (
        running_teleop_graph(specs, root, settings) as graph,
        ScriptedHeadset(graph.url, TOKEN, graph.ssl) as headset,
    ):
        yield {
            "root": root,
            "specs": specs,
            "processes": graph.processes,
            "probe": graph.probe,
            "headset": headset,
        }


def _service(probe: Probe, name: str, timeout: float = 30.0) -> tuple[bool, str]:
    response = probe.call(Trigger, f"/recorder/{name}", Trigger.Request(), timeout=timeout)
    return response.success, response.message


def _start_when_ready(probe: Probe, timeout: float = 60.0) -> float:
    """The recorder refuses to start until the arm and both cameras arrive: retry, as an operator would.
    A just-started server can also drop its first answer (its response writer has not yet discovered the
    client), so an unanswered request is repeated; "already recording" then means the first one worked."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ok, message = _service(probe, "start", timeout=5.0)
        except TimeoutError as error:
            ok, message = False, str(error)
        if ok or message.startswith("already recording"):
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(0.5)


def _play(headset: ScriptedHeadset, seconds: float) -> None:
    """Sway the controller left and right with the grip held."""
    headset.grip = True
    for index in range(int(seconds)):
        headset.move_to(np.array([0.05 if index % 2 == 0 else -0.05, 1.0, 0.0]), duration=1.0)


def _bags(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def test_three_episodes_two_accepted_one_discarded_at_five_hertz(session) -> None:
    headset, probe, play = session["headset"], session["probe"], session["root"] / "play"
    durations = []
    # Durations run from start to the moment of the accepting button-down / service call; the node sees
    # a button at its next 5 Hz tick, so a bag may hold one or two samples more than 5 Hz x duration.
    started = _start_when_ready(probe)  # 1: started by service, accepted with A
    _play(headset, 3)
    durations.append(time.monotonic() - started)
    headset.press("a")
    headset.press("a")  # 2: started with A, discarded with B
    _play(headset, 2)
    headset.press("b")
    started = time.monotonic()
    headset.press("a")  # 3: started with A, accepted by service
    _play(headset, 3)
    assert _service(probe, "accept")[0]
    durations.append(time.monotonic() - started)

    bags = _bags(play)
    assert len(bags) == 2 and not any(b.name.endswith(RECORDING_SUFFIX) for b in bags), bags
    for bag, duration in zip(bags, durations, strict=True):
        meta = read_meta(bag)
        assert meta.accepted and meta.complete and meta.kind == "play" and meta.operator == "ci"
        assert (meta.missing_samples, meta.late_samples) == (0, 0)
        assert -2 <= meta.steps - 5 * duration <= 3, (meta.steps, duration)
        with Reader(bag) as reader:
            counts = {c.topic: c.msgcount for c in reader.connections}
            stamps = [t for c, t, _ in reader.messages() if c.topic == "/observation/state"]
        assert counts == {
            "/observation/state": meta.steps,
            "/action": meta.steps,
            **{f"/observation/images/{camera}": meta.steps for camera in CAMERAS},
        }
        gaps = np.diff(stamps) / 1e9
        assert np.median(gaps) == pytest.approx(0.2, abs=0.01) and gaps.max() < 0.3, gaps
        episode = read_episode_bag(bag, with_actions=True, cameras=CAMERAS)
        assert episode.images["external"].shape == (meta.steps, 128, 128, 3)
        assert np.ptp(episode.actions[:, 0]) > 0.05  # the waist followed the sway


def test_sigkill_mid_episode_keeps_accepted_bags_and_marks_the_cut_one(session) -> None:
    headset, probe, play = session["headset"], session["probe"], session["root"] / "play"
    accepted = {bag.name: _tree_digest(bag) for bag in _bags(play)}
    assert len(accepted) == 2
    headset.press("a")
    _play(headset, 2)
    recorder = session["processes"]["/recorder"]
    os.kill(recorder.pid, signal.SIGKILL)
    recorder.wait(timeout=10)
    cut = [bag for bag in _bags(play) if bag.name.endswith(RECORDING_SUFFIX)]
    assert len(cut) == 1 and not read_meta(cut[0]).complete
    with pytest.raises(BagError, match="incomplete"):
        read_episode_bag(cut[0], with_actions=True)
    assert {bag.name: _tree_digest(bag) for bag in _bags(play) if bag not in cut} == accepted

    # The operator relaunches the recorder for expert demonstrations and records one.
    spec = next(s for s in session["specs"] if s.name == "recorder")
    expert_dir = str(session["root"] / "expert")
    expert = replace(spec, parameters={**spec.parameters, "kind": "expert", "out_dir": expert_dir})
    session["processes"]["/recorder"] = start_node(expert, log_file=session["root"] / "recorder_expert.log")
    _start_when_ready(probe)
    _play(headset, 3)
    assert _service(probe, "accept")[0]
    assert [read_meta(b).kind for b in _bags(session["root"] / "expert")] == ["expert"]


def test_train_py_on_the_recorded_bags_gives_a_checkpoint_the_policy_node_runs(session) -> None:
    root = session["root"]
    result = subprocess.run(
        [sys.executable, TRAIN, "--play", str(root / "play"), "--expert", str(root / "expert")]
        + ["--task", "microwave", "--out", str(root / "run"), "--cache-dir", str(root / "cache"), *SMALL],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "play: 2 bags used (converted), 1 skipped" in result.stdout
    assert "recording was cut off (crash or abort): incomplete" in result.stdout
    assert "expert: 1 bags used (converted), 0 skipped" in result.stdout

    # The headset leaves (the teleop node falls silent); the policy node takes over the twin.
    session["headset"].__exit__(None, None, None)
    time.sleep(1.0)
    probe = session["probe"]
    graph = policy_graph("microwave", checkpoint=str(root / "run" / "checkpoint"), sim=True)
    spec = next(s for s in graph if s.name == "policy")
    before = probe.count(probe.commands)
    policy = start_node(spec, log_file=root / "policy.log")
    session["processes"]["/policy"] = policy
    wait_until(
        lambda: probe.count(probe.commands) >= before + 10 or policy.poll() is not None, 90, "policy commands"
    )
    assert policy.poll() is None, (root / "policy.log").read_text()[-2000:]
