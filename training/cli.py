"""Command-line parsing for the entry points: typed dataclass configs with draccus overrides, and bad
values reported as one line naming the problem instead of a traceback."""

from __future__ import annotations

import sys
from typing import TypeVar

import draccus

ConfigT = TypeVar("ConfigT")


def root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def parse_config(config_class: type[ConfigT], args: list[str] | None = None) -> ConfigT:
    try:
        return draccus.parse(config_class, args=args)
    except (draccus.ParsingError, ValueError, TypeError) as error:
        cause = root_cause(error)
        print(f"error: {cause}", file=sys.stderr)
        raise SystemExit(2) from error
