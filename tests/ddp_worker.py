"""Run by test_distributed.py, alone or under torchrun: trains a small CLAM on the point-mass data and writes
this rank's final parameters next to the run."""

import os
import sys
from pathlib import Path

from conftest import small_clam_config
from safetensors.torch import save_file

from clam_core.algos.clam import train_clam
from clam_core.envs.point_mass import make_clam_data
from clam_core.train.config import RunConfig


def main(out_dir: str) -> None:
    data = make_clam_data(play_episodes=20, expert_episodes=6, labelled_fraction=0.1)
    cfg = small_clam_config(steps=30, hidden=32)
    run = RunConfig(out_dir=out_dir, device="cpu", progress=False, resume=False, log_every=10)
    _, model, _ = train_clam(cfg, data, run)
    rank = os.environ.get("RANK", "single")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(Path(out_dir) / f"params_{rank}.safetensors"))


if __name__ == "__main__":
    main(sys.argv[1])
