"""The policy node's logic: latest inputs -> agent -> joint command at the control rate, with a watchdog.

Every input (joint state and each camera) must have arrived within `stale_periods` control periods; when
one has not, the runner emits one hold command (the last measured position) and then stops commanding, so
the arm driver holds. When the inputs come back, control resumes with a fresh temporal ensemble.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clam_core.keys import IMAGE_KEY_PREFIX, STATE_KEY


@dataclass(frozen=True)
class Tick:
    command: np.ndarray | None  # what to publish this period (None: publish nothing)
    status: str


def percentile_ms(values: deque[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q) * 1e3) if values else float("nan")


class PolicyRunner:
    def __init__(
        self,
        act: Callable[[dict[str, np.ndarray]], np.ndarray],
        reset: Callable[[], None],
        control_period: float,
        cameras: list[str],
        episode_length: int,
        stale_periods: float = 2.0,
    ) -> None:
        self.act, self.reset_agent = act, reset
        self.control_period = control_period
        self.max_age = stale_periods * control_period
        self.inputs = [STATE_KEY] + [IMAGE_KEY_PREFIX + c for c in cameras]
        self.episode_length = episode_length
        self._latest: dict[str, tuple[np.ndarray, float]] = {}
        self.running = False
        self.steps = 0
        self._holding = True
        self._last_tick: float | None = None
        self.latencies: deque[float] = deque(maxlen=1000)
        self.jitters: deque[float] = deque(maxlen=1000)
        self.status = "stopped"

    def on_input(self, key: str, value: np.ndarray, now: float) -> None:
        self._latest[key] = (value, now)

    def start(self) -> None:
        self.running, self.steps, self._holding = True, 0, True
        self.reset_agent()

    def stop(self) -> None:
        self.running = False

    def stale_inputs(self, now: float) -> list[str]:
        return [k for k in self.inputs if k not in self._latest or now - self._latest[k][1] > self.max_age]

    def _hold(self, status: str) -> Tick:
        """One hold command at the measured position the first time control stops, then silence."""
        self.status = status
        if self._holding:
            return Tick(None, status)
        self._holding = True
        state = self._latest.get(STATE_KEY)
        return Tick(None if state is None else state[0].copy(), status)

    def tick(self, now: float) -> Tick:
        if self._last_tick is not None:
            self.jitters.append(abs(now - self._last_tick - self.control_period))
        self._last_tick = now
        if not self.running:
            return self._hold("stopped")
        stale = self.stale_inputs(now)
        if stale:
            return self._hold("stale inputs: " + ", ".join(stale))
        if self._holding:  # (re)starting: predictions made before the gap are void
            self.reset_agent()
            self._holding = False
        observation = {key: value for key, (value, _) in self._latest.items() if key in self.inputs}
        started = time.perf_counter()
        command = np.asarray(self.act(observation), dtype=np.float64)
        self.latencies.append(time.perf_counter() - started)
        self.steps += 1
        self.status = "running"
        if self.steps >= self.episode_length:
            self.running = False
            self.status = "episode done"
        return Tick(command, self.status)

    def stats(self) -> dict[str, float | int | str]:
        return {
            "status": self.status,
            "steps": self.steps,
            "inference_latency_p50_ms": percentile_ms(self.latencies, 50),
            "inference_latency_p99_ms": percentile_ms(self.latencies, 99),
            "loop_jitter_p50_ms": percentile_ms(self.jitters, 50),
            "loop_jitter_p99_ms": percentile_ms(self.jitters, 99),
        }
