"""The policy graph of `policy.launch.py task:=microwave sim:=true`, started as real processes from the same
graph function the launch file uses, over loopback DDS: a checkpoint trained by clam_core moves the twin's
arm, the e-stop latches, a dead camera makes the arm hold and a restarted one resumes control, and a bad
checkpoint stops the policy node with a message naming the file."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from conftest import quiet_run, small_clam_config
from ros_probe import Probe, wait_until
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool, Trigger

from clam_bringup.graph import policy_graph
from clam_bringup.processes import start_graph, start_node, stop_graph
from clam_core.algos.clam import CLAMData, train_clam
from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes, concat_observations
from clam_core.envs.widowx.datagen import record_episode
from clam_core.envs.widowx.env import WidowXKitchenEnv

PERIOD = 0.2
CAMERA = "/cameras/external/image_raw"


def train_twin_checkpoint(out: Path) -> Path:
    """A small CLAM on twin data: random play (labelled) and scripted expert demos (actions dropped)."""
    env = WidowXKitchenEnv("microwave", cameras=())
    play = [record_episode(env, "play", seed=s, length=25) for s in range(6)]
    expert = [record_episode(env, "expert", seed=100 + s, length=25) for s in range(3)]
    labelled = LabelledEpisodes.from_arrays([e.states for e in play[:3]], [e.actions for e in play[:3]])
    expert_obs = ObservationEpisodes.from_arrays([e.states for e in expert])
    data = CLAMData(
        labelled,
        concat_observations([ObservationEpisodes.from_arrays([e.states for e in play]), expert_obs]),
        expert_obs,
    )
    checkpoint, _, _ = train_clam(small_clam_config(steps=40, chunk_size=3), data, quiet_run(out))
    return checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_twin_checkpoint(tmp_path_factory.mktemp("twin_ckpt"))


@pytest.fixture(scope="module")
def graph(checkpoint: Path, tmp_path_factory: pytest.TempPathFactory):
    specs = policy_graph("microwave", checkpoint=str(checkpoint), sim=True)
    logs = tmp_path_factory.mktemp("graph_logs")
    processes = start_graph(specs, log_dir=logs)
    rclpy.init()
    probe = Probe(image_topics=(CAMERA,))
    try:
        wait_until(lambda: probe.count(probe.commands) >= 5, 120, "the policy's first commands")
        # Commands can arrive before this probe's joint-state subscription is matched: wait for both.
        wait_until(lambda: probe.count(probe.joint_states) >= 25, 30, "the arm's joint states")
        yield {
            "specs": {s.fully_qualified_name: s for s in specs},
            "processes": processes,
            "probe": probe,
            "logs": logs,
        }
    finally:
        probe.close()
        rclpy.shutdown()
        stop_graph(processes)


def _still(probe: Probe, seconds: float, tolerance: float = 2e-3) -> bool:
    start, received = probe.latest_position(), probe.count(probe.joint_states)
    time.sleep(seconds)
    # A probe that stopped hearing the arm would see it "still": the driver publishes at 50 Hz.
    assert probe.count(probe.joint_states) - received >= 10 * seconds, probe.describe()
    return bool(np.abs(probe.latest_position() - start).max() < tolerance)


def test_policy_checkpoint_moves_the_twin_arm(graph) -> None:
    # The policy drives the arm to where it wants it and then holds it there, so measure from a fresh
    # start: a scene reset puts the arm back at its start pose while the policy keeps running.
    probe = graph["probe"]
    assert probe.call(Trigger, "/arm/reset_scene", Trigger.Request()).success
    stamp = time.monotonic()
    wait_until(lambda: probe.joint_states[-1][0] > stamp, 5, "a joint state after the reset")
    start = probe.latest_position()
    wait_until(
        lambda: np.abs(probe.latest_position() - start)[:6].max() > 0.02,
        10,
        lambda: (
            f"the policy to move the arm 0.02 rad from its start pose {start.round(4).tolist()} "
            f"({probe.describe()})"
        ),
    )


def test_estop_latches_and_blocks_all_commands_until_released(graph) -> None:
    probe = graph["probe"]
    assert probe.call(SetBool, "/arm/estop", SetBool.Request(data=True)).success
    time.sleep(0.5)
    commands_before = probe.count(probe.commands)
    target = probe.latest_position() + np.append(np.full(6, 0.4), 0.0)
    publisher = probe.node.create_publisher(JointState, "/arm/joint_commands", 10)
    for _ in range(5):
        publisher.publish(JointState(name=[], position=[float(v) for v in target]))
    assert _still(probe, 1.5), "the arm moved while the e-stop was engaged"
    assert probe.count(probe.commands) > commands_before  # the policy kept commanding: all were blocked
    wait_until(
        lambda: probe.diagnostics.get("arm_driver", {}).get("last_command") == "blocked: e-stop engaged",
        5,
        "the driver to report blocked commands",
    )
    assert probe.diagnostics["arm_driver"]["estop"] == "True"
    assert probe.call(SetBool, "/arm/estop", SetBool.Request(data=False)).success
    wait_until(
        lambda: probe.diagnostics.get("arm_driver", {}).get("last_command") in ("ok", "clipped"),
        5,
        "commands to be accepted after the release",
    )


def test_dead_camera_makes_the_arm_hold_and_a_restart_resumes_control(graph) -> None:
    probe = graph["probe"]
    name = "/cameras/external/camera"
    graph["processes"][name].kill()
    graph["processes"][name].wait()
    time.sleep(1.5)
    with probe.lock:
        last_image = probe.images[CAMERA][-1]
        last_command = probe.commands[-1][0]
    # The watchdog trips when the image is 2 periods old; the policy ticks every period: one hold command
    # goes out within 3 periods of the last image (plus scheduling slack on a loaded 2-core machine).
    assert last_command - last_image <= 3 * PERIOD + 0.3, last_command - last_image
    assert _still(probe, 1.0), "the arm kept moving without camera input"
    commands_while_dead = probe.count(probe.commands)
    graph["processes"][name] = start_node(graph["specs"][name], log_file=graph["logs"] / "camera_restart.log")
    wait_until(lambda: probe.count(probe.commands) > commands_while_dead + 3, 90, "control to resume")


def _run_policy_with(checkpoint: str, tmp_path: Path) -> subprocess.CompletedProcess:
    spec = next(s for s in policy_graph("microwave", checkpoint=checkpoint, sim=True) if s.name == "policy")
    log = tmp_path / "policy.log"
    process = start_node(spec, log_file=log)
    process.wait(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, log.read_text())


def test_missing_checkpoint_exits_nonzero_naming_the_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_checkpoint"
    result = _run_policy_with(str(missing), tmp_path)
    assert result.returncode == 1
    assert f"{missing}: checkpoint folder not found" in result.stdout


def test_corrupt_checkpoint_exits_nonzero_naming_the_file(checkpoint: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(checkpoint, broken)
    (broken / "model.safetensors").write_bytes(b"\x00garbage")
    result = _run_policy_with(str(broken), tmp_path)
    assert result.returncode == 1
    assert f"{broken / 'model.safetensors'}: not a readable safetensors file" in result.stdout


def test_policy_diagnostics_report_latency_and_jitter(graph) -> None:
    probe = graph["probe"]
    wait_until(lambda: "inference_latency_p99_ms" in probe.diagnostics.get("policy", {}), 10, "diagnostics")
    stats = probe.diagnostics["policy"]
    assert float(stats["inference_latency_p99_ms"]) > 0 and float(stats["loop_jitter_p99_ms"]) >= 0


def test_interbotix_backend_without_its_packages_exits_with_a_clear_message(tmp_path: Path) -> None:
    spec = next(s for s in policy_graph("microwave", sim=False) if s.name == "arm_driver")
    log = tmp_path / "arm.log"
    process = start_node(spec, log_file=log)
    assert process.wait(timeout=120) == 1
    assert "backend 'interbotix' needs the Interbotix X-series ROS 2 packages" in log.read_text()
