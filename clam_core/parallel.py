"""Worker processes for data generation and rollouts."""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.context


def forkserver_context(preload: str) -> multiprocessing.context.BaseContext:
    """Workers fork from a server that has imported `preload` (torch, MuJoCo, MetaWorld: seconds) once.
    Forking the caller itself could copy its torch threads, CUDA state or an EGL context; spawning would
    import everything again in every worker."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([preload])
    return ctx
