"""The `main` every node shares: init, build, spin until shutdown, clean up; a node that cannot start
prints one line saying why and exits non-zero."""

from __future__ import annotations

import sys
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from clam_core.train.checkpoint import CheckpointError
from clam_ros.arm_backends import BackendUnavailable

STARTUP_ERRORS = (BackendUnavailable, CheckpointError, FileNotFoundError, ValueError, RuntimeError)


def run_node(name: str, build: Callable[[], Node], args: list[str] | None = None) -> None:
    rclpy.init(args=args)
    node = None
    try:
        node = build()
    except STARTUP_ERRORS as error:
        print(f"{name}: cannot start: {error}", file=sys.stderr, flush=True)
        rclpy.try_shutdown()
        sys.exit(1)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        close = getattr(node, "close", None)
        if close is not None:
            close()
        node.destroy_node()
        rclpy.try_shutdown()


def now_seconds(node: Node) -> float:
    return node.get_clock().now().nanoseconds * 1e-9
