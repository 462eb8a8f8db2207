"""Data-parallel training: two CPU ranks under torchrun (gloo, loopback) keep identical parameters and end
where one process with the same global batch ends; only rank 0 writes the checkpoint."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from clam_core.train.distributed import DistributedContext

WORKER = Path(__file__).with_name("ddp_worker.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_two_gloo_ranks_match_one_process(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    _run([sys.executable, str(WORKER), str(tmp_path / "single")], env)
    torchrun = Path(sys.executable).parent / "torchrun"
    _run(
        [
            str(torchrun),
            "--nnodes=1",
            "--nproc_per_node=2",
            "--master_addr=127.0.0.1",
            f"--master_port={_free_port()}",
            str(WORKER),
            str(tmp_path / "ddp"),
        ],
        env,
    )
    single = load_file(str(tmp_path / "single" / "params_single.safetensors"))
    rank0 = load_file(str(tmp_path / "ddp" / "params_0.safetensors"))
    rank1 = load_file(str(tmp_path / "ddp" / "params_1.safetensors"))
    assert single.keys() == rank0.keys() == rank1.keys()
    for key in single:
        assert torch.equal(rank0[key], rank1[key]), f"ranks diverged at {key}"
        assert torch.allclose(rank0[key], single[key], rtol=1e-4, atol=1e-5), (
            f"{key} differs from one process"
        )
    assert (tmp_path / "ddp" / "checkpoint" / "model.safetensors").is_file()
    assert sorted(p.name for p in (tmp_path / "ddp" / "tensorboard").iterdir()) == ["stage1", "stage2"]


def test_shards_partition_the_global_batch() -> None:
    parts = [DistributedContext(rank, 4).shard(128) for rank in range(4)]
    assert [(p.start, p.stop) for p in parts] == [(0, 32), (32, 64), (64, 96), (96, 128)]
    with pytest.raises(ValueError, match="does not split over 3 ranks"):
        DistributedContext(0, 3).shard(128)
