"""Episodes, transition windows, splits and normalisation statistics."""

from clam_core.data.episodes import LabelledEpisodes, ObservationEpisodes
from clam_core.data.normalization import NormStats
from clam_core.data.windows import (
    LabelledWindowSampler,
    ObservationWindowSampler,
    transition_windows,
    valid_timesteps,
)

__all__ = [
    "LabelledEpisodes",
    "LabelledWindowSampler",
    "NormStats",
    "ObservationEpisodes",
    "ObservationWindowSampler",
    "transition_windows",
    "valid_timesteps",
]
