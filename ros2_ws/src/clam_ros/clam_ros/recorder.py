"""The play recorder's logic: at the control rate, sample the latest joint state, image of each camera and
commanded action into the current episode bag; start / accept / discard / next; refuse to start when the
disk is nearly full. Crash safety comes from the bag writer: an episode only gets its final name, and
`accepted`, once it is closed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from clam_core.data.bags import EpisodeBagWriter, EpisodeMeta


class EpisodeRecorder:
    def __init__(
        self,
        out_dir: Path,
        kind: str,
        task: str,
        operator: str,
        cameras: list[str],
        control_period: float,
        min_free_bytes: int,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.kind, self.task, self.operator = kind, task, operator
        self.cameras = list(cameras)
        self.control_period = control_period
        self.min_free_bytes = min_free_bytes
        self._state: tuple[np.ndarray, float] | None = None
        self._command: tuple[np.ndarray, float] | None = None
        self._images: dict[str, tuple[np.ndarray, float]] = {}
        self._writer: EpisodeBagWriter | None = None
        self._buttons = (False, False)  # accept, discard: as last seen, for press detection
        self.episodes = 0
        EpisodeMeta(kind=kind)  # validates the kind now rather than at the first episode

    @property
    def recording(self) -> bool:
        return self._writer is not None

    def on_state(self, positions: np.ndarray, now: float) -> None:
        self._state = (positions, now)

    def on_command(self, values: np.ndarray, now: float) -> None:
        self._command = (values, now)

    def on_image(self, camera: str, image: np.ndarray, now: float) -> None:
        self._images[camera] = (image, now)

    def stale_inputs(self, now: float) -> list[str]:
        """Inputs (joint state, commands, cameras) not received within the last two periods. The teleop
        streams commands whenever a headset is connected, so no command means no operator."""
        inputs = {
            "joint state": self._state,
            "command": self._command,
            **{f"camera {c}": self._images.get(c) for c in self.cameras},
        }
        return [
            name
            for name, latest in inputs.items()
            if latest is None or now - latest[1] > 2 * self.control_period
        ]

    def start(self, now: float) -> tuple[bool, str]:
        if self.recording:
            return False, "already recording; accept, discard or next first"
        stale = self.stale_inputs(now)
        if stale:
            return False, "not recording: no recent " + ", ".join(stale)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.out_dir).free
        if free < self.min_free_bytes:
            return False, (
                f"refusing to record: {free / 1e9:.1f} GB free in {self.out_dir}, "
                f"below the {self.min_free_bytes / 1e9:.1f} GB minimum"
            )
        name = f"{self.kind}_{self.task or 'any'}_{time.strftime('%Y%m%d-%H%M%S')}_{self.episodes:04d}"
        meta = EpisodeMeta(
            kind=self.kind,
            task=self.task,
            operator=self.operator,
            start_time=time.time(),
            fps=1.0 / self.control_period,
            cameras=self.cameras,
        )
        self._writer = EpisodeBagWriter(self.out_dir / name, meta)
        self.episodes += 1
        return True, f"recording {name}"

    def tick(self, now: float) -> None:
        """One sample. Missing joint state or command (none yet, or older than two periods, the same
        staleness bound as the policy's watchdog): the step is skipped and counted missing; a camera frame
        older than that is recorded but counted late."""
        if self._writer is None:
            return
        meta = self._writer.meta
        max_age = 2 * self.control_period
        fresh = [s for s in (self._state, self._command) if s is not None and now - s[1] <= max_age]
        if len(fresh) < 2 or any(c not in self._images for c in self.cameras):
            meta.missing_samples += 1
            return
        meta.late_samples += sum(now - self._images[c][1] > max_age for c in self.cameras)
        images = {camera: self._images[camera][0] for camera in self.cameras}
        self._writer.write(int(now * 1e9), self._state[0], self._command[0], images)

    def finish(self, accepted: bool) -> tuple[bool, str]:
        """Accept (the bag gets its final name) or discard (the bag is deleted) the current episode."""
        if self._writer is None:
            return False, "not recording"
        writer, self._writer = self._writer, None
        steps, name = writer.meta.steps, writer.final_path.name
        if accepted:
            writer.close(accepted=True)
            return True, f"accepted {name} ({steps} steps)"
        writer.discard()
        return True, f"discarded {name} ({steps} steps, deleted)"

    def next(self, now: float) -> tuple[bool, str]:
        """Accept the current episode (if any) and start the next one."""
        messages = [self.finish(True)[1]] if self.recording else []
        ok, message = self.start(now)
        return ok, "; ".join([*messages, message])

    def on_buttons(self, accept_pressed: bool, discard_pressed: bool, now: float) -> tuple[bool, str] | None:
        """The headset's buttons, on each press (not while held): accept starts an episode when idle and
        accepts it while recording; discard throws the current episode away."""
        accept_edge = accept_pressed and not self._buttons[0]
        discard_edge = discard_pressed and not self._buttons[1]
        self._buttons = (accept_pressed, discard_pressed)
        if accept_edge:
            return self.finish(True) if self.recording else self.start(now)
        if discard_edge and self.recording:
            return self.finish(False)
        return None

    def abort(self) -> None:
        """Shutting down mid-episode: leave the bag marked incomplete."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
