"""`make demo`: train CLAM end to end on the point-mass toy system and show what it learned.

Random play provides the only action labels (5% of all transitions); the expert demos are observation-only.
Stage 1 trains the latent action model with the jointly trained decoder, stage 2 the latent policy on
IDM-relabelled expert observations; the resulting checkpoint is loaded through `LatentActionAgent`, the same
API the robot's policy node uses, and rolled out in closed loop. Until the WidowX twin demo exists this is
the project's main job. Every option is a flag: `python training/demo.py --help`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import draccus
import numpy as np

from clam_core.algos.clam import CLAMConfig, CLAMData, evaluate_lam, train_clam
from clam_core.data.episodes import LabelledEpisodes
from clam_core.envs import point_mass
from clam_core.inference import LatentActionAgent
from clam_core.models.decoders import DecoderConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.policies import PolicyConfig
from clam_core.train.config import OptimConfig, RunConfig
from training.cli import parse_config


@dataclass
class DemoConfig:
    play_episodes: int = 300  # random play, 50 steps each
    expert_episodes: int = 100  # observation-only expert demos
    labelled_fraction: float = 0.05  # share of all transitions that keep their actions
    eval_episodes: int = 100
    # Also train the "no joint training" ablation (beta = 0) and print it beside CLAM.
    compare_without_joint_training: bool = True
    clam: CLAMConfig = field(
        default_factory=lambda: CLAMConfig(
            lam=LAMConfig(kind="mlp", mlp_hidden=(256, 256)),
            decoder=DecoderConfig(embed_dim=128, hidden=(256, 256)),
            policy=PolicyConfig(embed_dim=128, hidden=(256, 256)),
            stage1=OptimConfig(steps=3000, warmup_steps=100),
            stage2=OptimConfig(steps=1500, warmup_steps=100),
        )
    )
    run: RunConfig = field(
        default_factory=lambda: RunConfig(out_dir="outputs/demo", log_every=50, resume=False)
    )


def held_out_labelled(seed: int) -> LabelledEpisodes:
    observations, actions, _ = point_mass.generate(point_mass.play_controller, 40, seed)
    return LabelledEpisodes.from_arrays(observations, actions)


def train_and_evaluate(cfg: DemoConfig, clam: CLAMConfig, data: CLAMData, out_dir: str) -> dict:
    """Both stages, then held-out LAM metrics and closed-loop success of the saved checkpoint."""
    run = replace(cfg.run, out_dir=out_dir)
    checkpoint, model, stats = train_clam(clam, data, run)
    held = held_out_labelled(seed=cfg.run.seed + 50_000)
    device = next(model.parameters()).device
    agent = LatentActionAgent.load(checkpoint)
    return {
        "held_out_lam": evaluate_lam(model, held.to(device), stats),
        "success_rate": point_mass.evaluate_policy(
            agent.act, agent.reset, cfg.eval_episodes, seed=cfg.run.seed + 90_000
        ),
        "checkpoint": str(checkpoint),
    }


def main(cfg: DemoConfig) -> dict:
    started = time.time()
    data = point_mass.make_clam_data(
        cfg.play_episodes, cfg.expert_episodes, cfg.labelled_fraction, seed=cfg.run.seed
    )
    print(
        f"data: {data.unlabelled.num_steps} unlabelled transitions, {data.labelled.num_steps} labelled "
        f"({data.labelled.num_steps / data.unlabelled.num_steps:.1%}), "
        f"{data.expert.num_episodes} observation-only expert episodes"
    )
    runs = {
        f"clam (joint decoder, beta={cfg.clam.beta:g})": train_and_evaluate(
            cfg, cfg.clam, data, str(Path(cfg.run.out_dir) / "clam")
        )
    }
    if cfg.compare_without_joint_training:
        runs["no joint training (beta=0)"] = train_and_evaluate(
            cfg, replace(cfg.clam, beta=0.0), data, str(Path(cfg.run.out_dir) / "no_joint")
        )
    if int(os.environ.get("RANK", "0")) != 0:
        return {}  # under torchrun, rank 0 evaluates and reports
    rng = np.random.default_rng(cfg.run.seed)
    baselines = {
        name: point_mass.evaluate_policy(
            lambda obs, c=controller: c(obs, rng), lambda: None, cfg.eval_episodes, seed=cfg.run.seed + 90_000
        )
        for name, controller in [
            ("random actions", point_mass.play_controller),
            ("scripted expert", point_mass.expert_controller),
        ]
    }
    summary = {
        "runs": runs,
        "baseline_success_rate": baselines,
        "wall_time_s": round(time.time() - started, 1),
        "config": draccus.encode(cfg),
    }
    out = Path(cfg.run.out_dir) / "summary.json"
    out.write_text(json.dumps(summary, indent=2))

    print("\nWhat was learned, on held-out random play whose true actions are known, and in closed loop:")
    print(f"  {'method':<30} {'decoder R^2':>11} {'FDM loss':>9} {'copy-last':>9} {'success':>8}")
    for name, result in runs.items():
        lam = result["held_out_lam"]
        print(
            f"  {name:<30} {lam['decoder_r2']:>11.3f} {lam['recon_loss']:>9.4f} "
            f"{lam['copy_last_loss']:>9.4f} {result['success_rate']:>8.2f}"
        )
    for name, rate in baselines.items():
        print(f"  {name:<30} {'':>11} {'':>9} {'':>9} {rate:>8.2f}")
    print(f"\nsuccess = goal reached over {cfg.eval_episodes} episodes through LatentActionAgent")
    for name, result in runs.items():
        print(f"checkpoint ({name}): {result['checkpoint']}")
    print(
        f"TensorBoard: {Path(cfg.run.out_dir)}/*/tensorboard\nsummary: {out}\n"
        f"wall time: {summary['wall_time_s']} s"
    )
    return summary


if __name__ == "__main__":
    main(parse_config(DemoConfig))
