"""Reading launch files without `ros2 launch`: the arguments a .launch.py declares, by its syntax tree."""

from __future__ import annotations

import ast
from pathlib import Path


def declared_arguments(launch_file: Path) -> set[str]:
    tree = ast.parse(launch_file.read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "DeclareLaunchArgument"
    }


def imported_names(launch_file: Path, module: str) -> set[str]:
    tree = ast.parse(launch_file.read_text())
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }
