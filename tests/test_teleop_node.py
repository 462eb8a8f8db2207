"""Quest teleop node as a real process: HTTPS/WSS with a pairing token, a scripted TLS client playing the
headset, and the twin's arm (sim arm driver process) following the clutch-mapped motion."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from headless_chromium import load_page
from ros_probe import Probe
from scripted_headset import ScriptedHeadset
from teleop_graph import loopback_teleop_settings, running_teleop_graph

from clam_bringup.graph import NodeSpec
from clam_bringup.processes import start_node
from clam_core.envs.widowx.kinematics import FINGER_LOWER, FINGER_UPPER, forward_kinematics

TOKEN = "pairing-secret"


@pytest.fixture(scope="module")
def teleop_graph(tmp_path_factory: pytest.TempPathFactory):
    logs = tmp_path_factory.mktemp("teleop")
    settings = loopback_teleop_settings(logs, TOKEN)
    specs = [
        NodeSpec("clam_ros", "clam_arm_driver", "arm_driver", "arm", {"backend": "sim"}),
        NodeSpec("clam_ros", "clam_teleop", "teleop", "", settings),
    ]
    with running_teleop_graph(specs, logs, settings) as graph:
        yield {"probe": graph.probe, "url": graph.url, "ssl": graph.ssl, "logs": logs}


def _ee(probe: Probe) -> np.ndarray:
    return forward_kinematics(probe.latest_position()[:6])[:3, 3]


def _follow(graph, webxr_offset: np.ndarray, robot_offset: np.ndarray, trigger: float) -> np.ndarray:
    """Hold the grip, move the scripted headset by `webxr_offset`; returns where the end effector ends
    up relative to where the robot should be (start + `robot_offset`)."""
    probe = graph["probe"]
    start = _ee(probe)
    target = start + robot_offset
    with ScriptedHeadset(graph["url"], TOKEN, graph["ssl"]) as headset:
        time.sleep(0.5)  # released: the node holds the arm where it is
        headset.grip, headset.trigger = True, trigger
        time.sleep(0.5)  # the clutch engages at the node's next tick
        headset.move_to(headset.position + webxr_offset, duration=2.0)
        deadline = time.monotonic() + 15.0
        while time.monotonic() < deadline and np.linalg.norm(_ee(probe) - target) > 0.005:
            time.sleep(0.1)
        time.sleep(1.0)  # the gripper closes over several control periods
    return _ee(probe) - target


def test_the_twin_follows_the_headset_within_a_centimetre(teleop_graph) -> None:
    # WebXR: 4 cm right, 3 cm up, 6 cm away from the user -> robot: 6 cm forward, 4 cm right (-y), 3 cm up.
    error = _follow(teleop_graph, np.array([0.04, 0.03, -0.06]), np.array([0.06, -0.04, 0.03]), trigger=1.0)
    assert np.linalg.norm(error) < 0.01, (error, teleop_graph["probe"].describe())
    assert teleop_graph["probe"].latest_position()[6] < FINGER_LOWER + 0.004  # the trigger closed it


def test_no_token_is_refused_and_malformed_floods_do_not_stop_a_good_client(teleop_graph) -> None:
    async def attempts() -> None:
        async with aiohttp.ClientSession() as session:
            for query in ("", "?token=wrong"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(f"{teleop_graph['url']}/ws{query}", ssl=teleop_graph["ssl"])
                assert refused.value.status == 403
            async with session.ws_connect(
                f"{teleop_graph['url']}/ws?token={TOKEN}", ssl=teleop_graph["ssl"]
            ) as bad:
                for index in range(10_000):
                    kind = index % 5
                    if kind == 4:
                        await bad.send_str("x" * 4000)  # over the message size limit, under the frame limit
                    elif kind == 0:
                        await bad.send_str("{broken")
                    elif kind == 1:
                        await bad.send_str(
                            json.dumps(
                                {
                                    "t": 5.0 - index,
                                    "position": [0, 1, 0],
                                    "orientation": [0, 0, 0, 1],
                                    "grip": True,
                                    "trigger": 0.0,
                                }
                            )
                        )  # out of order after the first
                    elif kind == 2:
                        await bad.send_bytes(b"\x00\x01")
                    else:
                        await bad.send_str(json.dumps({"t": 1.0, "position": "here"}))
                await bad.send_str("y" * 100_000)  # over the frame limit: the server closes this connection
                closing = await bad.receive(timeout=10)
                assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), closing

    asyncio.run(attempts())
    error = _follow(teleop_graph, np.array([0.0, 0.03, 0.0]), np.array([0.0, 0.0, 0.03]), trigger=0.0)
    assert np.linalg.norm(error) < 0.01, (error, teleop_graph["probe"].describe())
    assert teleop_graph["probe"].latest_position()[6] > FINGER_UPPER - 0.004  # trigger released: open


def test_the_page_is_served_locally_over_https(teleop_graph) -> None:
    async def fetch() -> tuple[str, str]:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{teleop_graph['url']}/?token={TOKEN}", ssl=teleop_graph["ssl"]) as page:
                html = await page.text()
            async with session.get(f"{teleop_graph['url']}/teleop.js", ssl=teleop_graph["ssl"]) as script:
                return html, await script.text()

    html, script = asyncio.run(fetch())
    assert '<script src="teleop.js">' in html and "http" not in html.split("<script")[1]  # no CDN
    assert "WebXR is not available in this browser" in script
    assert (Path(teleop_graph["logs"]) / "teleop.log").read_text().count("pairing token") >= 1


def test_headless_chromium_loads_the_page_without_errors_and_explains_missing_webxr(teleop_graph) -> None:
    report = load_page(f"{teleop_graph['url']}/?token={TOKEN}")
    assert report.errors == []
    assert "open this page in the Meta Quest browser" in report.text, report.text
    assert "WidowX teleoperation" in report.text
    # Without the token the page says what to do instead.
    assert "No pairing token in the address" in load_page(f"{teleop_graph['url']}/").text


def test_the_oculus_reader_backend_without_its_package_exits_with_a_clear_message(tmp_path: Path) -> None:
    log = tmp_path / "teleop.log"
    spec = NodeSpec("clam_ros", "clam_teleop", "teleop", "", {"backend": "oculus_reader"})
    process = start_node(spec, log_file=log)
    assert process.wait(timeout=60) == 1
    assert "cannot start: the oculus_reader backend needs the oculus_reader package" in log.read_text()
