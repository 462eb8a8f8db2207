"""HTTPS + secure WebSocket server for the Quest: serves the WebXR page (every asset local, no CDN) and
takes controller samples from clients that present the pairing token. Runs its own asyncio loop in a
background thread; the node reads `latest()` at its control rate."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import NamedTuple

from aiohttp import WSMsgType, web

from clam_ros.teleop.certificates import DEFAULT_DIR, ensure_certificate
from clam_ros.teleop.mapping import ControllerSample, GripPress
from clam_ros.teleop.protocol import MAX_MESSAGE_BYTES, BadMessage, parse_message

WEB_DIR = Path(__file__).with_name("web")


class Latest(NamedTuple):
    sample: ControllerSample
    buttons: dict[str, bool]
    arrived: float  # time.monotonic()
    connection: int
    press: ControllerSample | None  # the sample in which the grip went down; None while released


class TeleopServer:
    def __init__(self, host: str, port: int, token: str, cert_dir: Path = DEFAULT_DIR) -> None:
        if len(token) < 6:
            raise ValueError("the pairing token must have at least 6 characters")
        self.host, self.port, self.token = host, port, token
        self.cert_file, self.key_file = ensure_certificate(cert_dir, (host,) if host != "0.0.0.0" else ())
        self._lock = threading.Lock()
        self._latest: Latest | None = None
        self.accepted = self.rejected = self.refused = 0
        self._connections = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def latest(self) -> Latest | None:
        """The newest sample, its buttons, when it arrived (time.monotonic), which connection sent it, and
        the sample in which the grip was pressed (None while released)."""
        with self._lock:
            return self._latest

    async def _page(self, request: web.Request) -> web.FileResponse:
        name = request.match_info.get("name") or "index.html"
        path = WEB_DIR / name
        if path.parent != WEB_DIR or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("token") != self.token:
            self.refused += 1
            raise web.HTTPForbidden(text="pairing token missing or wrong")
        socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES * 4, heartbeat=5.0)
        await socket.prepare(request)
        self._connections += 1
        connection = self._connections
        last_stamp = float("-inf")
        grip = GripPress()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                self.rejected += 1
                continue
            try:
                sample, buttons = parse_message(message.data)
            except BadMessage:
                self.rejected += 1
                continue
            if sample.stamp <= last_stamp:  # out of order or repeated
                self.rejected += 1
                continue
            last_stamp = sample.stamp
            self.accepted += 1
            with self._lock:
                self._latest = Latest(sample, buttons, time.monotonic(), connection, grip.update(sample))
        return socket

    def start(self) -> str:
        """Start serving; returns the URL to open on the headset (with the token)."""
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES * 4)
        app.add_routes(
            [web.get("/", self._page), web.get("/ws", self._socket), web.get("/{name}", self._page)]
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        started = threading.Event()

        # The socket listens before anything is announced, so a client that reads the printed URL can
        # connect at once (a TCPSite only starts listening once the event loop runs).
        listener = socket.create_server((self.host, self.port))
        self.port = listener.getsockname()[1]

        async def serve() -> None:
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.SockSite(self._runner, listener, ssl_context=context).start()
            started.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="teleop-server")
        self._thread.start()
        if not started.wait(timeout=10):
            raise RuntimeError(f"teleop server did not start on {self.host}:{self.port}")
        return f"https://{self.host}:{self.port}/?token={self.token}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
