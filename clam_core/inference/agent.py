"""LatentActionAgent: the one inference API used by the policy node, the benchmarks and the tests.

agent = LatentActionAgent.load(checkpoint_dir)
agent.reset()
action = agent.act(observation)   # state vector, or {"observation.state": ..., "observation.images.<c>": ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import draccus
import numpy as np
import torch

from clam_core.algos.clam import CLAMConfig
from clam_core.data.normalization import NormStats
from clam_core.data.observation_layout import ObservationLayout
from clam_core.inference.ensembler import TemporalEnsembler
from clam_core.keys import ACTION_KEY, STATE_KEY
from clam_core.models.decoders import ActionDecoder
from clam_core.models.lam_spacetime import SpaceTimeIDM
from clam_core.models.policies import PolicyConfig, build_latent_policy
from clam_core.train.checkpoint import CheckpointError, load_checkpoint, load_module

SUPPORTED_ALGOS = ("clam", "bc")  # bc: action-chunk baselines (clam_core.algos.chunked_bc)


class LatentActionAgent:
    def __init__(
        self,
        policy: torch.nn.Module,
        decoder: torch.nn.Module,
        stats: NormStats,
        layout: ObservationLayout,
        obs_key: str,
        action_key: str,
        ensemble_coeff: float,
        device: torch.device,
    ) -> None:
        self.policy = policy.eval()
        self.layout = layout
        self.decoder = decoder.eval()
        self.stats = stats
        self.obs_key = obs_key
        self.action_key = action_key
        self.device = device
        self.ensembler = TemporalEnsembler(ensemble_coeff, policy.chunk_size)

    @classmethod
    def load(
        cls, path: Path | str, device: str = "cpu", ensemble_coeff: float | None = None
    ) -> LatentActionAgent:
        """Build the agent from a checkpoint folder; `ensemble_coeff` overrides the trained default."""
        checkpoint = load_checkpoint(path)
        config_file = checkpoint.path / "config.json"
        algo = checkpoint.config.get("algo")
        if algo not in SUPPORTED_ALGOS:
            raise CheckpointError(f"{config_file}: algo {algo!r} has no latent-action agent")
        try:
            obs_dim, action_dim = int(checkpoint.config["obs_dim"]), int(checkpoint.config["action_dim"])
            layout = ObservationLayout.from_dict(checkpoint.config.get("layout", {"state_dim": obs_dim}))
            if algo == "bc":
                policy_cfg = draccus.decode(PolicyConfig, checkpoint.config["policy"])
            else:
                cfg = draccus.decode(CLAMConfig, checkpoint.config["clam"])
                policy_cfg = cfg.policy
        except (KeyError, TypeError, ValueError, draccus.ParsingError) as error:
            raise CheckpointError(f"{config_file}: invalid {algo} config ({error})") from error
        if checkpoint.stats is None:
            raise CheckpointError(f"{checkpoint.path / 'stats.safetensors'}: file not found")
        torch_device = torch.device(device)
        if algo == "bc":  # the policy predicts (normalised) actions itself
            policy = build_latent_policy(layout, action_dim, policy_cfg)
            decoder: torch.nn.Module = torch.nn.Identity()
        else:
            # An IDM-backbone policy holds its own copy of the IDM: build one to give it the right shape.
            idm = None
            if cfg.lam.kind == "spacetime" and policy_cfg.image.backbone == "idm":
                idm = SpaceTimeIDM(layout, cfg.lam.latent_dim, cfg.lam.window, cfg.lam.spacetime)
            policy = build_latent_policy(layout, cfg.lam.latent_dim, policy_cfg, idm)
            decoder = ActionDecoder(cfg.lam.latent_dim, action_dim, cfg.decoder)
            load_module(decoder, checkpoint, "decoder")
        load_module(policy, checkpoint, "policy")
        return cls(
            policy.to(torch_device),
            decoder.to(torch_device),
            checkpoint.stats,
            layout,
            checkpoint.config.get("obs_key", STATE_KEY),
            checkpoint.config.get("action_key", ACTION_KEY),
            policy_cfg.ensemble_coeff if ensemble_coeff is None else ensemble_coeff,
            torch_device,
        )

    def reset(self) -> None:
        self.ensembler.reset()

    @torch.no_grad()
    def predict_chunk(self, observation: Mapping[str, np.ndarray] | np.ndarray) -> torch.Tensor:
        """The decoded action chunk [k, A] for this observation (unnormalised), without ensembling."""
        if self.layout.has_images:
            if not isinstance(observation, Mapping):
                raise TypeError("this policy sees cameras: pass a dict with the state and the images")
            flat = self.layout.flatten_observation(observation)
        else:
            state = observation[self.obs_key] if isinstance(observation, Mapping) else observation
            flat = torch.as_tensor(np.asarray(state), dtype=torch.float32)
        return self.predict_chunks(flat.reshape(1, -1))[0]

    @torch.no_grad()
    def predict_chunks(self, observations: torch.Tensor) -> torch.Tensor:
        """Decoded action chunks [B, k, A] (unnormalised) for a batch of raw flat observations [B, D]."""
        obs = self.stats.normalize(self.obs_key, observations.to(self.device))
        return self.stats.unnormalize(self.action_key, self.decoder(self.policy(obs))).cpu()

    def act(self, observation: Mapping[str, np.ndarray] | np.ndarray) -> np.ndarray:
        """The action to execute now: latent chunk -> decoded actions -> temporal ensemble."""
        return self.ensembler.update(self.predict_chunk(observation)).numpy()
