"""ROS-free inference: latent policy -> action decoder -> temporal ensembling."""

from clam_core.inference.agent import LatentActionAgent
from clam_core.inference.ensembler import TemporalEnsembler

__all__ = ["LatentActionAgent", "TemporalEnsembler"]
