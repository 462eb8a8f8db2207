"""`make demo`: the whole loop in the WidowX kitchen twin, through the ROS 2 graph, on a CPU.

1. Record: the scripted teleop node drives the twin through the record graph (sim arm driver, two sim
   cameras, play recorder) and records play episodes (labelled) and expert episodes; the two graphs run side
   by side on their own ROS domains, each from its own scene seeds.
2. Train: `python training/train.py` on those bags (Space-Time LAM + chunked image policy, small sizes).
3. Evaluate: the graph of `policy.launch.py task:=<task> sim:=true checkpoint:=<trained>` (the same graph
   function the launch file uses) on unseen scenes; a client resets the scene, starts the policy and
   watches `/twin/task_status` for each episode.
4. Report: the success rate, where the bags, dataset, checkpoint and logs are, and a PNG strip of frames
   from one rollout (`<out>/rollout.png`); everything also in `<out>/summary.json`.

Every option is a flag (`python training/twin_demo.py --help`); e.g. `--eval_episodes 20 --stage1_steps 4000`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from clam_bringup.graph import policy_graph, scripted_record_graph, task_config, with_parameters
from clam_bringup.processes import ros_environment, start_graph, stop_graph
from clam_core.data.bag_dataset import find_bags
from training.cli import parse_config

REPO = Path(__file__).resolve().parents[1]
# Scene seeds of the twin: play, expert and evaluation scenes never coincide.
SCENE_SEEDS = {"play": 1_000, "expert": 2_000, "eval": 100_000}


@dataclass
class TwinDemoConfig:
    task: str = "microwave"
    play_episodes: int = 12
    play_length: int = 50  # steps at 5 Hz
    expert_episodes: int = 12
    expert_length: int = 60  # the scripted expert closes the door well within this
    eval_episodes: int = 10
    eval_length: int = 60  # policy commands per evaluation episode, unless success comes first
    image_size: int = 64  # model resolution (the sim cameras stream 128x128)
    # 1500 + 1500 solved 1-3 of 10 scenes in five runs on the AMD EPYC machine, 3000 + 3000 5-7 in three,
    # 1500 + 3000 none in one (README; training/results/twin_demo_runs/).
    stage1_steps: int = 3000
    stage2_steps: int = 3000
    out_dir: str = "outputs/twin_demo"
    ros_domain_id: int = -1  # evaluation domain (recording uses the next two); -1: derived from the PID
    record_timeout: float = 900.0  # seconds for each recording graph
    extra_train_args: list[str] = field(default_factory=list)  # appended to the train.py command


def recorded(folder: Path) -> int:
    return len(find_bags([folder])) if folder.exists() else 0


def record(cfg: TwinDemoConfig, out: Path, domain: int) -> dict[str, Path]:
    """Both recording graphs at once; returns the bag folder of each kind. Bags already in the output folder
    count: a rerun records only what is missing (none: it goes straight to training, which resumes too)."""
    plan = {"play": (cfg.play_episodes, cfg.play_length), "expert": (cfg.expert_episodes, cfg.expert_length)}
    graphs, folders = {}, {}
    for offset, (kind, (episodes, length)) in enumerate(plan.items(), start=1):
        folders[kind] = out / "bags" / kind
        done = recorded(folders[kind])
        if done >= episodes:
            print(f"  reusing the {done} {kind} bags in {folders[kind]}", flush=True)
            continue
        logs = out / "logs" / f"record_{kind}"
        logs.mkdir(parents=True, exist_ok=True)
        # A rerun after an interruption records only the missing episodes, in scenes not recorded yet.
        seed = SCENE_SEEDS[kind] + done
        specs = scripted_record_graph(cfg.task, kind, episodes - done, str(folders[kind]), seed, length)
        specs = with_parameters(specs, "arm_driver", seed=seed)
        env = {**os.environ, "ROS_DOMAIN_ID": str(domain + offset)}
        graphs[kind] = (start_graph(specs, env, logs), logs)
    deadline = time.monotonic() + cfg.record_timeout
    try:
        while any(p["/scripted_teleop"].poll() is None for p, _ in graphs.values()):
            counts = {kind: recorded(folders[kind]) for kind in plan}
            print(
                f"\r  recorded: {counts['play']}/{cfg.play_episodes} play, "
                f"{counts['expert']}/{cfg.expert_episodes} expert",
                end="",
                flush=True,
            )
            dead = [
                f"{kind}:{name}"
                for kind, (processes, _) in graphs.items()
                for name, process in processes.items()
                if name != "/scripted_teleop" and process.poll() is not None
            ]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"recording failed (exited: {dead or 'none, timed out'}); logs in {out / 'logs'}"
                )
            time.sleep(1.0)
        print()
        for kind, (processes, logs) in graphs.items():
            if processes["/scripted_teleop"].returncode != 0:
                raise RuntimeError(f"the {kind} scripted teleop failed; see {logs / 'scripted_teleop.log'}")
    finally:
        for processes, _ in graphs.values():
            stop_graph(processes)
    return folders


def train(cfg: TwinDemoConfig, bags: dict[str, Path], out: Path) -> Path:
    """train.py as a user would run it; its output streams to this console."""
    cameras = task_config(cfg.task)["cameras"]
    command = [
        sys.executable, str(REPO / "training" / "train.py"),
        "--play", str(bags["play"]), "--expert", str(bags["expert"]), "--task", cfg.task,
        "--cameras", *cameras, "--image-size", str(cfg.image_size),
        "--out", str(out / "train"), "--cache-dir", str(out / "datasets"), "--device", "cpu",
        "--clam.lam.kind", "spacetime", "--clam.lam.latent_dim", "16",
        "--clam.lam.spacetime.d_model", "64", "--clam.lam.spacetime.n_heads", "4",
        "--clam.lam.spacetime.n_layers", "2", "--clam.lam.spacetime.ff_dim", "128",
        "--clam.lam.spacetime.dropout", "0.0",
        "--clam.decoder.embed_dim", "64", "--clam.decoder.hidden", "[128,128]",
        "--clam.policy.chunk_size", "5", "--clam.policy.image.backbone", "convnet",
        "--clam.policy.image.d_model", "128", "--clam.policy.image.n_heads", "4",
        "--clam.policy.image.n_layers", "2", "--clam.policy.image.ff_dim", "256",
        "--clam.batch_size", "32", "--clam.decoder_batch_size", "32", "--clam.policy_batch_size", "32",
        "--clam.stage1.steps", str(cfg.stage1_steps), "--clam.stage1.warmup_steps", "100",
        "--clam.stage2.steps", str(cfg.stage2_steps), "--clam.stage2.warmup_steps", "100",
        *cfg.extra_train_args,
    ]  # fmt: skip
    print("  $ " + " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    return out / "train" / "checkpoint"


def evaluate(cfg: TwinDemoConfig, checkpoint: Path, out: Path, domain: int) -> list[dict]:
    """The policy launch graph on unseen scenes, one episode at a time through the evaluation client."""
    import rclpy

    from clam_ros.twin_evaluation import TwinEvaluationClient

    specs = policy_graph(cfg.task, checkpoint=str(checkpoint), sim=True)
    specs = with_parameters(specs, "arm_driver", seed=SCENE_SEEDS["eval"])
    specs = with_parameters(specs, "policy", autostart=False, episode_length=cfg.eval_length)
    logs = out / "logs" / "policy"
    logs.mkdir(parents=True, exist_ok=True)
    processes = start_graph(specs, {**os.environ, "ROS_DOMAIN_ID": str(domain)}, logs)
    rclpy.init(domain_id=domain)
    camera = task_config(cfg.task)["cameras"][0]
    client = TwinEvaluationClient(
        rclpy.create_node("demo_evaluator"), frames_topic=f"/cameras/{camera}/image_raw"
    )
    episodes = []
    try:
        client.wait_ready(timeout=120.0)
        for index in range(cfg.eval_episodes):
            result = client.run_episode(cfg.eval_length, keep_frames=index == 0)
            if index == 0:
                title = (
                    f"{cfg.task}, unseen scene {result.seed}: {'success' if result.success else 'failure'}"
                )
                save_strip(
                    result.frames, out / "rollout.png", title, float(task_config(cfg.task)["sim_camera_fps"])
                )
            episodes.append({k: v for k, v in asdict(result).items() if k != "frames"})
            verdict = "success" if result.success else ("partial" if result.partial_success else "failure")
            print(
                f"  episode {index + 1}/{cfg.eval_episodes} (scene {result.seed}): {verdict} "
                f"after {result.commands} commands",
                flush=True,
            )
    finally:
        client.close()
        rclpy.shutdown()
        stop_graph(processes)
    return episodes


def save_strip(frames: list[np.ndarray], path: Path, title: str, fps: float, count: int = 8) -> None:
    """`count` frames spread over the episode, each titled with its time since the policy started."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not frames:
        return
    picks = np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int)
    figure, axes = plt.subplots(1, len(picks), figsize=(2 * len(picks), 2.4), squeeze=False)
    for axis, index in zip(axes[0], picks, strict=True):
        axis.imshow(frames[index])
        axis.set_title(f"{index / fps:.1f} s", fontsize=8)
        axis.axis("off")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(cfg: TwinDemoConfig) -> dict:
    started = time.monotonic()
    os.environ.update(ros_environment())  # this process's client too: loopback discovery, the image profile
    out = Path(cfg.out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    domain = cfg.ros_domain_id if cfg.ros_domain_id >= 0 else 10 + os.getpid() % 60
    timings = {}
    print(
        f"[1/3] recording {cfg.play_episodes} play + {cfg.expert_episodes} expert episodes through the "
        f"ROS graph (twin, scripted teleop)",
        flush=True,
    )
    bags = record(cfg, out, domain)
    timings["record_s"] = round(time.monotonic() - started, 1)
    print("[2/3] training image CLAM on the bags", flush=True)
    checkpoint = train(cfg, bags, out)
    timings["train_s"] = round(time.monotonic() - started - timings["record_s"], 1)
    print(
        f"[3/3] evaluating {checkpoint} in the policy graph on {cfg.eval_episodes} unseen scenes", flush=True
    )
    episodes = evaluate(cfg, checkpoint, out, domain)
    timings["wall_s"] = round(time.monotonic() - started, 1)
    summary = {
        "task": cfg.task,
        "success_rate": float(np.mean([e["success"] for e in episodes])),
        "partial_success_rate": float(np.mean([e["partial_success"] for e in episodes])),
        "episodes": episodes,
        "bags": {kind: str(folder) for kind, folder in bags.items()},
        "dataset_cache": str(out / "datasets"),
        "checkpoint": str(checkpoint),
        "tensorboard": str(out / "train" / "tensorboard"),
        "logs": str(out / "logs"),
        "rollout_strip": str(out / "rollout.png"),
        "timings": timings,
        "config": asdict(cfg),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(
        f"\n{cfg.task}: success {summary['success_rate']:.0%}, partial success "
        f"{summary['partial_success_rate']:.0%} over {len(episodes)} unseen scenes"
    )
    for key in ("bags", "dataset_cache", "checkpoint", "tensorboard", "logs", "rollout_strip"):
        print(f"  {key:<14} {summary[key]}")
    print(f"  {'summary':<14} {out / 'summary.json'}\n  wall time {timings['wall_s']:.0f} s ({timings})")
    return summary


if __name__ == "__main__":
    main(parse_config(TwinDemoConfig))
