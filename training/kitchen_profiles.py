"""Sizes of the image-based kitchen benchmark (the paper's Table 3 setting, in the WidowX kitchen twin).

`smoke` checks the pipeline in CI (about a minute, numbers meaningless); `cpu` is sized for all four tasks on
2 CPU cores (a few hours); `cpu_more_play` and `cpu_paper_play` are `cpu` with 2.5x and 5x its play data
(500 and 1000 x 50 transitions, the latter the paper's) and nothing else changed, to see what more play
alone buys each method; `cpu_shift` is `cpu` with every policy trained on randomly shifted images
(`ImagePolicyConfig.random_shift`, 4 pixels), to see what augmentation buys each method; `paper` uses the
paper's data sizes (~50k play transitions, 30 demonstrations per task), its Space-Time LAM and ResNet18 policy
(trained on shifted images, as `cpu_shift`'s) and 3 seeds x 50 episodes, for a GPU machine.

Every method shares the profile's architectures, as the paper insists: one `PolicyConfig` for every policy
(ST-CLAM's latent policy and the action policies of VPT and both BCs) and one `LAMConfig` for ST-CLAM's LAM
and VPT's IDM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from clam_core.data.kitchen_data import KitchenDataConfig
from clam_core.envs.widowx.tasks import TASKS
from clam_core.models.decoders import DecoderConfig
from clam_core.models.image_policy import ImagePolicyConfig
from clam_core.models.lam import LAMConfig
from clam_core.models.lam_spacetime import SpaceTimeSize
from clam_core.models.policies import PolicyConfig

MORE_PLAY = {"cpu_more_play": 500, "cpu_paper_play": 1000}  # profile -> play episodes of 50 transitions
SHIFT_PIXELS = 4  # `cpu_shift`: 1/16 of a 64-pixel frame, DrQ's 4 pixels at 84
PROFILES = ("smoke", "cpu", *MORE_PLAY, "cpu_shift", "paper")
CHUNK_SIZE = 5  # action chunks of every policy, executed with temporal ensembling (paper's robot setting)


@dataclass(frozen=True)
class KitchenProfile:
    name: str
    data: KitchenDataConfig
    lam: LAMConfig  # ST-CLAM's LAM; VPT's IDM has the same architecture
    policy: PolicyConfig  # every method's policy
    decoder: DecoderConfig  # ST-CLAM's action decoder
    lam_steps: int  # ST-CLAM stage 1 and VPT's IDM
    policy_steps: int  # ST-CLAM stage 2 and every BC
    batch_size: int
    warmup_steps: int
    eval_episodes: int
    eval_length: int = 100  # the paper's 100-step budget per episode
    seeds: int = 1
    tasks: tuple[str, ...] = TASKS
    eval_workers: int | None = None  # None: --workers; 1 for a few episodes (no worker start-up cost)


def _spacetime_lam(size: SpaceTimeSize) -> LAMConfig:
    return LAMConfig(kind="spacetime", latent_dim=16, context=1, spacetime=size)


def profile(name: str) -> KitchenProfile:
    if name == "smoke":
        small = {"d_model": 32, "n_heads": 2, "n_layers": 1, "ff_dim": 64}
        return KitchenProfile(
            name="smoke",
            # 20-frame demonstrations: the microwave expert closes the door in ~15 steps.
            data=KitchenDataConfig(
                image_size=32, play_episodes=4, play_length=10, expert_episodes=2, expert_length=20
            ),
            lam=_spacetime_lam(SpaceTimeSize(**small)),
            policy=PolicyConfig(chunk_size=CHUNK_SIZE, image=ImagePolicyConfig(backbone="convnet", **small)),
            decoder=DecoderConfig(embed_dim=32, hidden=(32, 32)),
            lam_steps=10,
            policy_steps=10,
            batch_size=8,
            warmup_steps=2,
            eval_episodes=2,
            eval_length=20,
            tasks=("microwave",),
            eval_workers=1,
        )
    if name == "cpu":
        return KitchenProfile(
            name="cpu",
            # The scripted experts solve every task within 30 steps (slide_pot, the longest, in ~30).
            data=KitchenDataConfig(
                image_size=64, play_episodes=200, play_length=50, expert_episodes=30, expert_length=60
            ),
            lam=_spacetime_lam(SpaceTimeSize(d_model=64, n_heads=4, n_layers=2, ff_dim=128)),
            policy=PolicyConfig(
                chunk_size=CHUNK_SIZE,
                image=ImagePolicyConfig(backbone="convnet", d_model=128, n_heads=4, n_layers=2, ff_dim=256),
            ),
            decoder=DecoderConfig(embed_dim=64, hidden=(128, 128)),
            lam_steps=3000,
            policy_steps=3000,
            batch_size=32,
            warmup_steps=100,
            eval_episodes=50,
        )
    if name in MORE_PLAY:
        cpu = profile("cpu")
        return replace(cpu, name=name, data=replace(cpu.data, play_episodes=MORE_PLAY[name]))
    if name == "cpu_shift":
        cpu = profile("cpu")
        image = replace(cpu.policy.image, random_shift=SHIFT_PIXELS)
        return replace(cpu, name=name, policy=replace(cpu.policy, image=image))
    if name == "paper":
        return KitchenProfile(
            name="paper",
            data=KitchenDataConfig(),  # 1000 x 50 play frames, 30 x 100-frame demonstrations, 64x64
            lam=_spacetime_lam(SpaceTimeSize()),
            # Shifted images: the one departure from the paper's policy recipe, after `cpu_shift`'s results.
            policy=PolicyConfig(
                chunk_size=CHUNK_SIZE, image=ImagePolicyConfig(backbone="resnet18", random_shift=SHIFT_PIXELS)
            ),
            decoder=DecoderConfig(),
            lam_steps=100_000,
            policy_steps=50_000,
            batch_size=64,
            warmup_steps=1000,
            eval_episodes=50,
            seeds=3,
        )
    raise ValueError(f"unknown profile {name!r}; choose one of {PROFILES}")
