"""Load a page in headless Chromium (Debian's `chromium`) and report what a user would see: the page text
and every console error or uncaught exception, read over the DevTools protocol."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import aiohttp

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--no-default-browser-check",
    "--ignore-certificate-errors",  # the teleop node's certificate is self-signed
    "--remote-debugging-port=0",
)


@dataclass
class PageReport:
    text: str
    errors: list[str] = field(default_factory=list)


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _devtools_address(browser: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = browser.stderr.readline().decode(errors="replace")
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            return found.group(1)
        if not line and browser.poll() is not None:
            break
    raise RuntimeError("chromium did not open its DevTools port")


async def _visit(browser_ws: str, url: str, settle: float) -> PageReport:
    ids = itertools.count(1)
    report = PageReport(text="")
    async with aiohttp.ClientSession() as session, session.ws_connect(browser_ws, max_msg_size=0) as ws:
        pending: dict[int, asyncio.Future] = {}

        async def call(method: str, session_id: str | None = None, **params) -> dict:
            message_id = next(ids)
            pending[message_id] = asyncio.get_running_loop().create_future()
            message = {"id": message_id, "method": method, "params": params}
            if session_id:
                message["sessionId"] = session_id
            await ws.send_str(json.dumps(message))
            return await asyncio.wait_for(pending[message_id], 30)

        async def read() -> None:
            async for raw in ws:
                message = json.loads(raw.data)
                if "id" in message and message["id"] in pending:
                    pending.pop(message["id"]).set_result(message.get("result", message.get("error")))
                elif message.get("method") == "Runtime.consoleAPICalled":
                    if message["params"]["type"] in ("error", "assert"):
                        args = message["params"]["args"]
                        report.errors.append(
                            " ".join(str(a.get("value", a.get("description"))) for a in args)
                        )
                elif message.get("method") == "Runtime.exceptionThrown":
                    details = message["params"]["exceptionDetails"]
                    report.errors.append(details.get("exception", {}).get("description", details["text"]))
                elif message.get("method") == "Log.entryAdded":
                    entry = message["params"]["entry"]
                    if entry["level"] == "error":
                        report.errors.append(f"{entry['text']} ({entry.get('url', '')})")

        reader = asyncio.create_task(read())
        target = await call("Target.createTarget", url="about:blank")
        attached = await call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page = attached["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            await call(domain, page)
        await call("Page.navigate", page, url=url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = await call("Runtime.evaluate", page, expression="document.readyState", returnByValue=True)
            if state.get("result", {}).get("value") == "complete":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(settle)  # let the page's async start-up (WebXR checks) finish
        body = await call("Runtime.evaluate", page, expression="document.body.innerText", returnByValue=True)
        report.text = body["result"]["value"]
        reader.cancel()
    return report


def load_page(url: str, settle: float = 2.0, timeout: float = 60.0) -> PageReport:
    binary = chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (scripts/bootstrap.sh installs it)")
    # Chromium's helper processes may still write to the profile for a moment after the browser exits.
    with tempfile.TemporaryDirectory(prefix="clam-chromium-", ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so the helpers go with it
        )
        try:
            return asyncio.run(_visit(_devtools_address(browser, timeout), url, settle))
        finally:
            os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
                browser.wait()
