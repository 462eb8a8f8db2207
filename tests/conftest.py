"""Test-wide environment: loopback-only DDS, a throwaway ROS log dir, no hub access, offscreen MuJoCo.

Set at import time so that every module the tests import (rclpy, huggingface_hub, mujoco) sees them.
"""

import os
import random
import tempfile

os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
# A domain of its own per test session, so a graph left over by an interrupted run (or a developer's own
# nodes) cannot answer this run's subscribers.
os.environ.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 100)))
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")
os.environ.setdefault("ROS_LOG_DIR", tempfile.mkdtemp(prefix="clam-roslog-"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("MUJOCO_GL", "egl")
# Every ROS process of the suite (this one included) uses the shipped profile for large images.
# (Fast DDS 2.x reads FASTRTPS_DEFAULT_PROFILES_FILE, 3.x FASTDDS_DEFAULT_PROFILES_FILE.)
_PROFILE = os.path.join(os.path.dirname(__file__), "..", "launch", "config", "fastdds_large_images.xml")
for _variable in ("FASTRTPS_DEFAULT_PROFILES_FILE", "FASTDDS_DEFAULT_PROFILES_FILE"):
    os.environ.setdefault(_variable, _PROFILE)


import pytest

from clam_core.algos.clam import CLAMConfig, CLAMData
from clam_core.envs.point_mass import make_clam_data
from clam_core.models.decoders import DecoderConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.lam_transformer import TransformerSize
from clam_core.models.policies import PolicyConfig
from clam_core.train.config import OptimConfig, RunConfig


def small_clam_config(
    kind: str = "mlp", steps: int = 60, hidden: int = 32, chunk_size: int = 1, beta: float = 1.0
) -> CLAMConfig:
    return CLAMConfig(
        lam=LAMConfig(
            kind=kind,
            mlp_hidden=(hidden, hidden),
            transformer=TransformerSize(d_model=32, n_heads=4, n_layers=2, ff_dim=64),
        ),
        decoder=DecoderConfig(embed_dim=hidden, hidden=(hidden, hidden)),
        policy=PolicyConfig(embed_dim=hidden, hidden=(hidden, hidden), chunk_size=chunk_size),
        beta=beta,
        batch_size=64,
        decoder_batch_size=64,
        policy_batch_size=64,
        stage1=OptimConfig(steps=steps, warmup_steps=10),
        stage2=OptimConfig(steps=steps // 2, warmup_steps=10),
    )


def quiet_run(out_dir, **overrides) -> RunConfig:
    return RunConfig(out_dir=str(out_dir), progress=False, log_every=20, **overrides)


@pytest.fixture(scope="session")
def small_toy_data() -> CLAMData:
    return make_clam_data(play_episodes=40, expert_episodes=10, labelled_fraction=0.1)
