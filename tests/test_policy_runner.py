"""The policy node's control logic: inputs -> agent -> command, the 2-period watchdog, start/stop and the
episode length. The agent here is a plain function standing in for a loaded checkpoint (tested elsewhere)."""

import numpy as np

from clam_ros.policy_runner import PolicyRunner

PERIOD = 0.2


class CountingAgent:
    def __init__(self) -> None:
        self.resets = 0
        self.seen: list[dict] = []

    def act(self, observation: dict) -> np.ndarray:
        self.seen.append(observation)
        return observation["observation.state"] + 0.1

    def reset(self) -> None:
        self.resets += 1


def _runner(agent: CountingAgent, episode_length: int = 100) -> PolicyRunner:
    runner = PolicyRunner(agent.act, agent.reset, PERIOD, ["external"], episode_length)
    runner.start()
    return runner


def _feed(runner: PolicyRunner, now: float, camera: bool = True) -> None:
    runner.on_input("observation.state", np.zeros(7), now)
    if camera:
        runner.on_input("observation.images.external", np.zeros((4, 4, 3), np.uint8), now)


def test_commands_flow_with_fresh_inputs() -> None:
    agent = CountingAgent()
    runner = _runner(agent)
    assert runner.tick(0.0).command is None  # nothing received yet
    _feed(runner, 0.1)
    tick = runner.tick(0.2)
    assert tick.status == "running" and np.allclose(tick.command, 0.1)
    assert set(agent.seen[-1]) == {"observation.state", "observation.images.external"}


def test_stale_camera_holds_once_then_silence_then_resumes_fresh() -> None:
    agent = CountingAgent()
    runner = _runner(agent)
    now = 0.0
    for _ in range(5):
        now += PERIOD
        _feed(runner, now)
        assert runner.tick(now).command is not None
    resets = agent.resets
    last_image = now
    # The camera stops; joint states keep coming.
    ticks = []
    for _ in range(6):
        now += PERIOD
        _feed(runner, now, camera=False)
        ticks.append(runner.tick(now))
    commands = [t for t in ticks if t.command is not None]
    first_stale = next(i for i, t in enumerate(ticks) if t.status.startswith("stale"))
    # The image is more than 2 periods old at the third tick after it: the watchdog trips there at the latest.
    assert first_stale <= 2
    assert ticks[first_stale].status == "stale inputs: observation.images.external"
    assert len(commands) == first_stale + 1  # the commands before it, then exactly one hold
    assert np.array_equal(ticks[first_stale].command, np.zeros(7))  # the hold = measured position
    assert all(t.command is None for t in ticks[first_stale + 1 :])
    assert now - last_image > 2 * PERIOD
    # The camera returns: control resumes with a fresh temporal ensemble.
    now += PERIOD
    _feed(runner, now)
    assert runner.tick(now).command is not None
    assert agent.resets == resets + 1


def test_stop_start_and_episode_length() -> None:
    agent = CountingAgent()
    runner = _runner(agent, episode_length=3)
    now = 0.0
    statuses = []
    for _ in range(5):
        now += PERIOD
        _feed(runner, now)
        statuses.append(runner.tick(now).status)
    assert statuses[:3] == ["running", "running", "episode done"]
    assert statuses[3:] == ["stopped", "stopped"]
    runner.start()
    now += PERIOD
    _feed(runner, now)
    assert runner.tick(now).status == "running"
    runner.stop()
    assert runner.tick(now + PERIOD).command is not None  # one hold when stopping
    stats = runner.stats()
    assert stats["steps"] == 1 and stats["inference_latency_p99_ms"] >= 0
