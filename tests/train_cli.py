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
# Image-based CLAM at toy width: Space-Time LAM and chunked ResNet18 policy on 32x32 images.
SMALL_IMAGES = [*SMALL, "--image-size", "32", "--clam.lam.kind", "spacetime", "--clam.policy.chunk_size", "5"]
for _prefix in ("--clam.lam.spacetime", "--clam.policy.image"):
    SMALL_IMAGES += [f"{_prefix}.d_model", "32", f"{_prefix}.n_heads", "2", f"{_prefix}.n_layers", "1"]
    SMALL_IMAGES += [f"{_prefix}.ff_dim", "64"]
