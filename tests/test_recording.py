"""Play recording: the recorder's logic, ROS-free, writing bags that training reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
    _feed(recorder, 0.0, 0)
    ok, message = recorder.start(0.0)
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
    _feed(recorder, 0.0, 0)
    recorder.start(0.0)
    recorder.on_state(np.zeros(7, np.float32), 0.5)
    recorder.tick(0.5)  # the last command is 0.5 s old: the step is missing
    _feed(recorder, 0.6, 1)
    recorder.tick(0.7)
    recorder.on_state(np.ones(7, np.float32), 1.2)
    recorder.on_command(np.ones(7, np.float32), 1.2)
    recorder.tick(1.25)  # the image is 0.65 s old: recorded, but late
    recorder.finish(True)
    meta = read_meta(next(tmp_path.iterdir()))
    assert (meta.steps, meta.missing_samples, meta.late_samples) == (2, 1, 1)


def test_discard_deletes_next_accepts_and_a_crash_leaves_a_recognisable_bag(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, cameras=())
    _feed(recorder, 0.0, 0, image=False)
    recorder.start(0.0)
    recorder.tick(0.0)
    assert recorder.finish(False)[1].startswith("discarded")
    assert list(tmp_path.iterdir()) == []
    _feed(recorder, 1.0, 1, image=False)
    recorder.start(1.0)
    recorder.tick(1.0)
    ok, message = recorder.next(1.0)
    assert ok and message.startswith("accepted") and "; recording" in message
    recorder.abort()  # the process dies mid-episode
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and sum(n.endswith(RECORDING_SUFFIX) for n in names) == 1
    finished = [n for n in names if not n.endswith(RECORDING_SUFFIX)]
    assert read_meta(tmp_path / finished[0]).accepted


def test_headset_buttons_start_accept_and_discard_on_press(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, cameras=())
    _feed(recorder, 0.0, 0, image=False)
    assert recorder.on_buttons(False, False, 0.0) is None
    ok, message = recorder.on_buttons(True, False, 0.0)  # A pressed while idle: start
    assert ok and message.startswith("recording") and recorder.recording
    assert recorder.on_buttons(True, False, 0.1) is None  # still held: nothing more
    recorder.tick(0.1)
    ok, message = recorder.on_buttons(False, True, 0.1)  # B: discard
    assert ok and message.startswith("discarded") and not recorder.recording
    assert recorder.on_buttons(False, False, 0.2) is None
    assert recorder.on_buttons(False, True, 0.2) is None  # B while idle: nothing to discard
    recorder.on_buttons(True, False, 0.2)  # A: start again
    recorder.tick(0.2)
    recorder.on_buttons(False, False, 0.3)
    ok, message = recorder.on_buttons(True, False, 0.3)  # A while recording: accept
    assert ok and message.startswith("accepted") and "(1 steps)" in message
    assert [read_meta(p).accepted for p in tmp_path.iterdir()] == [True]


def test_refuses_to_start_when_the_disk_is_nearly_full(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path, min_free=10**18)
    _feed(recorder, 0.0, 0)
    ok, message = recorder.start(0.0)
    assert not ok and message.startswith("refusing to record:") and "GB minimum" in message
    assert not recorder.recording


def test_refuses_to_start_without_recent_inputs(tmp_path: Path) -> None:
    recorder = _recorder(tmp_path)
    assert recorder.start(0.0) == (False, "not recording: no recent joint state, command, camera external")
    _feed(recorder, 0.0, 0)
    assert recorder.start(1.0) == (False, "not recording: no recent joint state, command, camera external")
    recorder.on_command(np.zeros(7, np.float32), 1.0)
    assert recorder.start(1.0) == (False, "not recording: no recent joint state, camera external")
    assert recorder.start(0.3)[0] and recorder.recording
