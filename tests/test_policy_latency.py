"""The policy node runs a paper-size image checkpoint (Space-Time LAM, chunked ResNet18 policy) in the twin's
policy graph, and the latency benchmark measures its observation-to-command latency from command stamps."""

from pathlib import Path

import numpy as np

from clam_core.data.observation_layout import ObservationLayout
from clam_core.envs.widowx.env import WidowXKitchenEnv
from clam_core.inference import LatentActionAgent
from training.bench_policy_latency import LatencyBenchConfig, measure, write_image_checkpoint


def test_paper_size_image_checkpoint_loads_and_acts(tmp_path: Path) -> None:
    layout = ObservationLayout(7, ("external", "shoulder"), 64)
    agent = LatentActionAgent.load(write_image_checkpoint(tmp_path / "ckpt", layout))
    assert agent.policy.chunk_size == 5 and agent.layout == layout
    env = WidowXKitchenEnv("microwave", image_size=128)
    observation, _ = env.reset(seed=0)
    env.close()
    assert np.isfinite(agent.act(observation)).all()


def test_policy_graph_with_the_image_policy_commands_the_arm_and_is_timed(tmp_path: Path) -> None:
    result = measure(LatencyBenchConfig(commands=15, timeout=180), 64, tmp_path)
    assert result["commands"] == 15 and result["cameras"] == ["external", "shoulder"]
    # The stamp is taken before inference: latency includes a real forward pass, so it cannot be ~0.
    assert 1.0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
