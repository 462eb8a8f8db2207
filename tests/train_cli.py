"""How the tests call `python training/train.py`: a tiny model so training takes seconds on 2 cores."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = str(ROOT / "training" / "train.py")
SMALL = [
    "--clam.lam.mlp_hidden",
    "[32,32]",
    "--clam.decoder.embed_dim",
    "32",
    "--clam.decoder.hidden",
    "[32,32]",
    "--clam.policy.embed_dim",
    "32",
    "--clam.policy.hidden",
    "[32,32]",
    "--clam.batch_size",
    "32",
    "--clam.decoder_batch_size",
    "32",
    "--clam.policy_batch_size",
    "32",
    "--clam.stage1.steps",
    "30",
    "--clam.stage1.warmup_steps",
    "5",
    "--clam.stage2.steps",
    "15",
    "--clam.stage2.warmup_steps",
    "5",
    "--run.progress",
    "false",
]
