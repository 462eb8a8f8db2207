"""A scripted Quest: a TLS WebSocket client that streams controller samples to the teleop node at 50 Hz, as
the WebXR page does, from a background thread. The test moves it by setting its fields."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
import threading
import time

import aiohttp
import numpy as np


class ScriptedHeadset:
    def __init__(self, url: str, token: str, context: ssl.SSLContext, rate: float = 50.0) -> None:
        self.address = f"{url}/ws?token={token}"
        self.context = context
        self.period = 1.0 / rate
        self.position = np.array([0.0, 1.0, 0.0])  # WebXR local space: x right, y up, z towards the user
        self.grip = False
        self.trigger = 0.0
        self.buttons = {"a": False, "b": False}
        self.sent = 0
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._stream()), daemon=True)

    def __enter__(self) -> ScriptedHeadset:
        self._thread.start()
        if not self._connected.wait(timeout=30):
            raise TimeoutError(f"the headset could not connect: {self._error!r}")
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    async def _stream(self) -> None:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(self.address, ssl=self.context) as socket,
            ):
                self._connected.set()
                while not self._stop.is_set():
                    message = {
                        "t": time.monotonic(),
                        "position": [float(v) for v in self.position],
                        "orientation": [0.0, 0.0, 0.0, 1.0],
                        "grip": self.grip,
                        "trigger": self.trigger,
                        "buttons": dict(self.buttons),
                    }
                    await socket.send_str(json.dumps(message))
                    self.sent += 1
                    await asyncio.sleep(self.period)
        except BaseException as error:  # reported by __enter__ when it never connected
            self._error = error
            raise

    def move_to(self, position: np.ndarray, duration: float) -> None:
        """Glide the controller to `position` (straight line) over `duration` seconds."""
        start = self.position.copy()
        steps = max(1, int(duration / self.period))
        for step in range(1, steps + 1):
            self.position = start + (np.asarray(position, float) - start) * step / steps
            time.sleep(self.period)

    def press(self, button: str, hold: float = 0.6) -> None:
        """Press and release a button; held long enough for the node's 5 Hz tick to see it."""
        self.buttons[button] = True
        time.sleep(hold)
        self.buttons[button] = False
        time.sleep(hold)


def free_port_below_ephemeral_range() -> int:
    """A free port outside the kernel's ephemeral range, so no outgoing connection can be using it."""
    rng = random.SystemRandom()
    while True:
        port = rng.randint(20000, 30000)
        with socket.socket() as candidate:
            if candidate.connect_ex(("127.0.0.1", port)) != 0:
                return port
