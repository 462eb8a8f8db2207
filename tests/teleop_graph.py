"""Start a graph that contains the teleop node (webxr backend on loopback) and wait until the arm streams
joint states and the teleop server has announced its URL: shared by the teleop and recording tests."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import rclpy
from ros_probe import Probe, wait_until
from scripted_headset import free_port_below_ephemeral_range

from clam_bringup.graph import NodeSpec
from clam_bringup.processes import start_graph, stop_graph


@dataclass
class TeleopGraph:
    probe: Probe
    processes: dict[str, Popen]
    url: str
    ssl: ssl.SSLContext
    logs: Path


def loopback_teleop_settings(logs: Path, token: str) -> dict[str, Any]:
    port = free_port_below_ephemeral_range()
    return {"bind_address": "127.0.0.1", "port": port, "token": token, "cert_dir": str(logs / "certs")}


@contextmanager
def running_teleop_graph(
    specs: list[NodeSpec], logs: Path, settings: dict[str, Any]
) -> Iterator[TeleopGraph]:
    processes = start_graph(specs, log_dir=logs)
    rclpy.init()
    probe = Probe()
    try:
        wait_until(
            lambda: (
                probe.count(probe.joint_states) > 0
                and "in the Quest browser" in (logs / "teleop.log").read_text(errors="replace")
            ),
            90,
            "the arm driver and the teleop server",
        )
        context = ssl.create_default_context(cafile=str(Path(settings["cert_dir"]) / "cert.pem"))
        yield TeleopGraph(probe, processes, f"https://127.0.0.1:{settings['port']}", context, logs)
    finally:
        probe.close()
        rclpy.shutdown()
        stop_graph(processes)
