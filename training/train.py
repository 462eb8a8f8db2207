"""Train CLAM on recorded episode bags: play bags give the action labels, expert bags are read without
actions. Bags are converted once into a cached LeRobot dataset; stage 1 and stage 2 then run, and
`<out>/checkpoint` is what the policy node loads (`policy.launch.py checkpoint:=<out>/checkpoint`).

    python training/train.py --play BAGS... --expert BAGS... [--task microwave] [--out DIR] [--device cuda]
                             [--cameras external shoulder --clam.lam.kind spacetime]   (image-based)
                             [--clam.stage1.steps 20000 ...]      (any CLAM option, see --help-clam)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import draccus

from clam_core.algos.clam import CLAMConfig, CLAMData, train_clam
from clam_core.data.bag_dataset import ConversionReport, find_bags, load_bags
from clam_core.data.bags import JOINT_NAMES
from clam_core.data.episodes import concat_observations
from clam_core.data.observation_layout import ObservationLayout
from clam_core.train.config import RunConfig
from training.cli import parse_config

DEFAULT_CACHE = Path.home() / ".cache" / "clam" / "datasets"


@dataclass
class TrainConfig:
    clam: CLAMConfig = field(default_factory=CLAMConfig)
    run: RunConfig = field(default_factory=RunConfig)


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, TrainConfig]:
    parser = argparse.ArgumentParser(
        description="Train CLAM on recorded episode bags (play: labelled, expert: observation-only).",
        epilog="Any CLAM option can follow, e.g. --clam.lam.kind transformer --clam.stage1.steps 5000; "
        "--help-clam lists them.",
    )
    parser.add_argument(
        "--play",
        nargs="+",
        required=True,
        metavar="BAG",
        help="play episode bags or folders holding them; their actions train the decoder",
    )
    parser.add_argument(
        "--expert",
        nargs="+",
        required=True,
        metavar="BAG",
        help="expert episode bags or folders; read without actions, for the latent policy",
    )
    parser.add_argument("--task", help="use only bags recorded for this task")
    parser.add_argument(
        "--cameras",
        nargs="+",
        default=[],
        metavar="CAMERA",
        help="train on these cameras' images and the joint state (Space-Time LAM, ResNet18 chunked "
        "policy); without it, on joint states only",
    )
    parser.add_argument("--image-size", type=int, default=64, help="model image resolution (default 64)")
    parser.add_argument("--out", default="outputs/train", help="run folder (checkpoint, logs, resume state)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="converted LeRobot datasets")
    parser.add_argument("--no-resume", action="store_true", help="start over even if --out holds a run")
    parser.add_argument("--help-clam", action="store_true", help="list the CLAM options and exit")
    if "--help-clam" in (sys.argv[1:] if argv is None else argv):  # before --play/--expert are required
        draccus.parse(TrainConfig, args=["--help"])
    args, rest = parser.parse_known_args(argv)
    cfg = parse_config(TrainConfig, rest)
    cfg.run = replace(cfg.run, out_dir=args.out, device=args.device, resume=not args.no_resume)
    if args.cameras and cfg.clam.lam.kind != "spacetime":
        parser.error("image observations (--cameras) need the space-time LAM: add --clam.lam.kind spacetime")
    if cfg.clam.lam.kind == "spacetime" and not args.cameras:
        parser.error("the space-time LAM needs images: name the cameras with --cameras")
    return args, cfg


def report(conversion: ConversionReport) -> None:
    origin = "cached dataset" if conversion.cached else "converted"
    print(
        f"{conversion.kind}: {len(conversion.used)} bags used ({origin}), {len(conversion.skipped)} skipped"
    )
    for bag, reason in conversion.skipped:
        print(f"  skipped {bag}: {reason}")


def main(argv: list[str] | None = None) -> Path:
    args, cfg = parse_args(argv)
    layout = ObservationLayout(len(JOINT_NAMES), tuple(dict.fromkeys(args.cameras)), args.image_size)
    try:
        play, play_report = load_bags(
            find_bags(args.play), "play", True, args.cache_dir, args.task, layout=layout
        )
        expert, expert_report = load_bags(
            find_bags(args.expert), "expert", False, args.cache_dir, args.task, layout=layout
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    report(play_report)
    report(expert_report)
    data = CLAMData(
        labelled=play, unlabelled=concat_observations([play.observations_only(), expert]), expert=expert
    )
    checkpoint, _, _ = train_clam(cfg.clam, data, cfg.run, layout)
    task = args.task or "<task>"
    print(f"checkpoint: {checkpoint}")
    print(
        f"run it: ros2 launch clam_bringup policy.launch.py task:={task} "
        f"checkpoint:={Path(checkpoint).resolve()}"
    )
    return checkpoint


if __name__ == "__main__":
    main()
