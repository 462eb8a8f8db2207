"""Diagnostics recorded with every CLAM cell of a benchmark: the collapse check of the paper's Table 9 on the
labelled data (FDM reconstruction against copying the last observation), the action decoder's R² there, and
its R² against the expert's own actions on the expert's transitions (privileged labels, used for this
measurement only)."""

from __future__ import annotations

from clam_core.algos.clam import CLAMModel, evaluate_lam
from clam_core.data.episodes import LabelledEpisodes
from clam_core.data.normalization import NormStats
from clam_core.train.runtime import resolve_device


def lam_diagnostics(
    model: CLAMModel, stats: NormStats, labelled: LabelledEpisodes, expert: LabelledEpisodes, device: str
) -> dict[str, float]:
    """`evaluate_lam` on the raw labelled episodes, plus the decoder's R² against the expert's actions, per
    dimension (`expert_decoder_r2`) and variance-weighted (`expert_decoder_r2_weighted`, which a dimension the
    expert never moves cannot swamp)."""
    torch_device = resolve_device(device)
    metrics = evaluate_lam(model, labelled.to(torch_device), stats)
    expert_metrics = evaluate_lam(model, expert.to(torch_device), stats)
    metrics["expert_decoder_r2"] = expert_metrics["decoder_r2"]
    metrics["expert_decoder_r2_weighted"] = expert_metrics["decoder_r2_weighted"]
    return metrics
