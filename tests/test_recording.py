"""Play recording: the recorder's logic ROS-free, then the graph of `record.launch.py sim:=true` as real
processes, with a scripted teleop publishing joint commands, writing bags that training reads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import rclpy
from ros_probe import Probe, wait_until
from sensor_msgs.msg import JointState
from std_srvs.srv import Trigger

from clam_bringup.graph import record_graph
from clam_bringup.processes import start_graph, stop_graph
from clam_core.data.bags import RECORDING_SUFFIX, read_episode_bag, read_meta
from clam_ros.recorder import EpisodeRecorder

PERIOD = 0.2


def _recorder(tmp_path: Path, min_free: int = 0, cameras: tuple[str, ...] = ("external",)) -> EpisodeRecorder:
    return EpisodeRecorder(tmp_path, "play", "microwave", "tester", list(cameras), PERIOD, min_free)


def _feed(recorder: EpisodeRecorder, now: float, step: int, image: bool = True) -> None:
    recorder.on_state(np.full(7, step, np.float32), now)
    recorder.on_command(np.full(7, step + 0.5, np.float32), now)
    if image:
        recorder.on_image("external", np.full((4, 4, 3), step, np.uint8), now)


def test_accepted_episode_holds_every_sample_in_order(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    ok, message = recorder.start()
    assert ok and message.startswith("recording play_microwave_")
    for step in range(6):
        _feed(recorder, step * PERIOD, step)
        recorder.tick(step * PERIOD + 0.01)
    ok, message = recorder.finish(True)
    assert ok and "(6 steps)" in message
    bag = next(tmp_path.iterdir())
    episode = read_episode_bag(bag, with_actions=True, cameras=("external",))
    assert episode.states[:, 0].tolist() == list(range(6))
    assert episode.actions[:, 0].tolist() == [s + 0.5 for s in range(6)]
    assert episode.images["external"][:, 0, 0, 0].tolist() == list(range(6))
    assert episode.meta.operator == "tester" and episode.meta.accepted and episode.meta.missing_samples == 0


def test_missing_and_late_inputs_are_counted(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    recorder.start()
    recorder.tick(0.0)  # nothing received yet
    _feed(recorder, 0.1, 1)
    recorder.tick(0.2)
    recorder.on_state(np.ones(7, np.float32), 0.6)
    recorder.on_command(np.ones(7, np.float32), 0.6)
    recorder.tick(0.65)  # the image is 0.55 s old: recorded, but late
    recorder.finish(True)
    meta = read_meta(next(tmp_path.iterdir()))
    assert (meta.steps, meta.missing_samples, meta.late_samples) == (2, 1, 1)


def test_discard_next_and_a_crash_leave_recognisable_bags(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, cameras=())
    recorder.start()
    _feed(recorder, 0.0, 0, image=False)
    recorder.tick(0.0)
    assert recorder.finish(False)[1].startswith("discarded")
    recorder.start()
    _feed(recorder, 1.0, 1, image=False)
    recorder.tick(1.0)
    ok, message = recorder.next()
    assert ok and message.startswith("accepted") and "; recording" in message
    recorder.abort()  # the process dies mid-episode
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and sum(n.endswith(RECORDING_SUFFIX) for n in names) == 1
    metas = {n: read_meta(tmp_path / n) for n in names if not n.endswith(RECORDING_SUFFIX)}
    assert sorted(m.accepted for m in metas.values()) == [False, True]


def test_refuses_to_start_when_the_disk_is_nearly_full(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, min_free=10**18)
    ok, message = recorder.start()
    assert not ok and message.startswith("refusing to record:") and "GB minimum" in message
    assert not recorder.recording


def test_record_graph_in_sim_writes_bags_training_can_read(tmp_path: Path) -> None:
    specs = record_graph(
        sim=True, task="microwave", kind="play", operator="script", out_dir=str(tmp_path / "bags")
    )
    processes = start_graph(specs, log_dir=tmp_path)
    rclpy.init()
    probe = Probe(image_topics=("/cameras/external/image_raw",))
    teleop = probe.node.create_publisher(JointState, "/arm/joint_commands", 10)
    stop = threading.Event()

    def scripted_teleop() -> None:  # sways the waist back and forth at the control rate
        start = time.monotonic()
        while not stop.is_set():
            with probe.lock:
                current = probe.joint_states[-1][1].copy() if probe.joint_states else None
            if current is not None:
                target = current.copy()
                target[0] = 0.4 * np.sin(time.monotonic() - start)
                teleop.publish(JointState(name=[], position=[float(v) for v in target]))
            time.sleep(PERIOD)

    thread = threading.Thread(target=scripted_teleop, daemon=True)
    try:
        wait_until(
            lambda: probe.count(probe.joint_states) > 0 and probe.images["/cameras/external/image_raw"],
            120,
            "the robot graph",
        )
        thread.start()
        wait_until(lambda: probe.count(probe.commands) > 3, 30, "teleop commands")
        assert probe.call(Trigger, "/recorder/start", Trigger.Request()).success
        time.sleep(3.0)
        result = probe.call(Trigger, "/recorder/accept", Trigger.Request())
        assert result.success, result.message
    finally:
        stop.set()
        probe.close()
        rclpy.shutdown()
        stop_graph(processes)
    bag = next((tmp_path / "bags").iterdir())
    episode = read_episode_bag(bag, with_actions=True, cameras=("external", "shoulder"))
    assert len(episode.states) >= 10
    assert episode.images["shoulder"].shape[1:] == (128, 128, 3)
    assert np.ptp(episode.states[:, 0]) > 0.05  # the waist moved as teleoperated
    assert episode.meta.kind == "play" and episode.meta.operator == "script"
