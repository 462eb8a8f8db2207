"""Temporal ensembling: a hand-computed example and agreement with LeRobot's ACTTemporalEnsembler."""

import math

import pytest
import torch
from lerobot.policies.act.modeling_act import ACTTemporalEnsembler

from clam_core.inference.ensembler import TemporalEnsembler


def test_hand_computed_example() -> None:
    """k = 3, m = 0.5, 1-D actions. Chunk c_j is predicted at step j for steps j, j+1, j+2."""
    ensembler = TemporalEnsembler(coeff=0.5, chunk_size=3)
    c0, c1, c2 = [10.0, 20.0, 30.0], [21.0, 31.0, 41.0], [32.0, 42.0, 52.0]
    w0, w1, w2 = 1.0, math.exp(-0.5), math.exp(-1.0)  # oldest prediction gets w_0 = 1
    # Step 0 has one prediction (c0[0]); step 1 has c0[1] (older) and c1[0]; step 2 has all three.
    expected = [
        10.0,
        (w0 * 20.0 + w1 * 21.0) / (w0 + w1),
        (w0 * 30.0 + w1 * 31.0 + w2 * 32.0) / (w0 + w1 + w2),
    ]
    for chunk, want in zip([c0, c1, c2], expected, strict=True):
        got = ensembler.update(torch.tensor(chunk)[:, None])
        assert got.item() == pytest.approx(want, rel=1e-6)


def test_reset_forgets_old_predictions() -> None:
    ensembler = TemporalEnsembler(coeff=0.1, chunk_size=4)
    ensembler.update(torch.full((4, 2), 100.0))
    ensembler.reset()
    assert torch.allclose(ensembler.update(torch.ones(4, 2)), torch.ones(2))


@pytest.mark.parametrize(("coeff", "chunk_size"), [(0.01, 5), (0.5, 5), (0.0, 3), (-0.2, 8)])
def test_matches_lerobot_act_temporal_ensembler(coeff: float, chunk_size: int) -> None:
    generator = torch.Generator().manual_seed(7)
    ours = TemporalEnsembler(coeff, chunk_size)
    reference = ACTTemporalEnsembler(coeff, chunk_size)
    for _ in range(3 * chunk_size):
        chunk = torch.randn(chunk_size, 7, generator=generator, dtype=torch.float64)
        expected = reference.update(chunk[None].clone())[0]
        assert torch.allclose(ours.update(chunk).double(), expected, atol=1e-5)


def test_rejects_wrong_chunk_shape() -> None:
    with pytest.raises(ValueError, match=r"\[4, A\]"):
        TemporalEnsembler(0.5, 4).update(torch.zeros(3, 2))
