"""The safety filter (fuzzed) and the arm driver's e-stop, torque and stale-command logic, ROS-free, on the
real MuJoCo twin as the arm backend."""

import numpy as np
import pytest

from clam_ros.arm_backends import TwinArm, home_target
from clam_ros.arm_driver import ArmDriver
from clam_ros.safety import SafetyFilter, SafetyLimits

RATE = 5.0


def test_fuzz_100k_random_extreme_nan_and_inf_commands() -> None:
    limits = SafetyLimits.wx250s(RATE)
    safety = SafetyFilter(limits, stale_after=0.4)
    rng = np.random.default_rng(0)
    previous = safety.reset(rng.uniform(limits.lower, limits.upper))
    specials = np.array([np.nan, np.inf, -np.inf, 1e308, -1e308, 0.0, 1e-300])
    accepted = rejected = 0
    for i in range(100_000):
        kind = i % 5
        if kind == 0:
            command = rng.uniform(-10, 10, 7)
        elif kind == 1:
            command = rng.choice([-1e9, 1e9], 7) * rng.random(7)
        elif kind == 2:
            command = rng.uniform(limits.lower, limits.upper)
            command[rng.integers(7)] = specials[rng.integers(len(specials))]
        elif kind == 3:
            command = previous + rng.normal(0, 0.3, 7)
        else:
            command = rng.normal(0, 1, rng.integers(0, 10))  # wrong lengths too
        verdict = safety.check(command, now=i * 0.2)
        if verdict.target is None:
            rejected += 1
            assert safety.previous_target is not None and np.array_equal(safety.previous_target, previous)
            continue
        accepted += 1
        target = verdict.target
        assert np.all(np.isfinite(target))
        assert np.all(target >= limits.lower) and np.all(target <= limits.upper)
        assert np.all(np.abs(target - previous) <= limits.max_step + 1e-12)
        previous = target
    assert accepted > 50_000 and rejected > 10_000


def test_rejections_and_clipping_are_explained() -> None:
    safety = SafetyFilter(SafetyLimits.wx250s(RATE), stale_after=0.4)
    assert safety.check(np.zeros(7), 0.0).reason == "rejected: no measured position yet"
    safety.reset(np.append(np.zeros(6), 0.03))
    assert safety.check([0.0] * 6 + [float("nan")], 0.0).reason == "rejected: NaN or inf"
    assert safety.check(np.zeros(3), 0.0).reason.startswith("rejected: expected 7 values")
    assert safety.check("abc", 0.0).reason == "rejected: not numeric"
    verdict = safety.check(np.append(np.full(6, 3.0), 0.03), 0.0)  # far away: one step of pi/5 at most
    assert verdict.reason == "clipped"
    assert np.allclose(verdict.target[:6], np.pi / RATE)
    assert not safety.is_stale(0.3) and safety.is_stale(0.41)


@pytest.fixture
def driver() -> ArmDriver:
    return ArmDriver(TwinArm("microwave", seed=0), SafetyLimits.wx250s(RATE), 1 / RATE, stale_after=0.4)


def _settle(driver: ArmDriver, seconds: float, start: float) -> float:
    now = start
    for _ in range(int(seconds / 0.02)):
        now += 0.02
        driver.tick(now)
        driver.backend.advance(0.02)
    return now


def test_estop_latches_and_blocks_every_command_until_released(driver: ArmDriver) -> None:
    start = driver.backend.read()[0]
    driver.engage_estop()
    now = 0.0
    for step in range(10):
        assert driver.command(start + 0.3, now) == "blocked: e-stop engaged"
        assert driver.move_to("home", home_target())[0] is False
        now = _settle(driver, 0.2, now)
        assert driver.estop_engaged, f"e-stop released itself at step {step}"
    assert np.allclose(driver.backend.read()[0], start, atol=2e-3)
    driver.release_estop()
    assert driver.command(start + 0.3, now) in ("ok", "clipped")
    _settle(driver, 0.2, now)
    assert np.abs(driver.backend.read()[0] - start).max() > 0.05


def test_stale_commands_make_the_arm_hold(driver: ArmDriver) -> None:
    start = driver.backend.read()[0]
    target = start + np.append(np.full(6, 0.5), 0.0)
    driver.command(target, 0.0)
    _settle(driver, 0.1, 0.0)  # half-way through a step: the arm is moving
    now = _settle(driver, 0.5, 0.1)  # no new command for > stale_after
    assert driver.holding
    held = driver.backend.read()[0]
    _settle(driver, 0.5, now)
    assert np.allclose(driver.backend.read()[0], held, atol=2e-3)


def test_go_home_streams_through_the_filter_and_torque_off_blocks(driver: ArmDriver) -> None:
    ok, message = driver.move_to("home", home_target())
    assert ok and message == "moving to home"
    assert driver.command(np.zeros(7), 0.0) == "blocked: moving to home"
    _settle(driver, 4.0, 0.0)
    assert driver.moving_to == ""
    assert np.allclose(driver.backend.read()[0][:6], 0.0, atol=0.02)
    driver.set_torque(False)
    assert driver.command(np.zeros(7), 5.0) == "blocked: torque is off"
    driver.set_torque(True)
    assert driver.command(driver.backend.read()[0], 5.2) in ("ok", "clipped")
