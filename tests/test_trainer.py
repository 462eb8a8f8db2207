"""The shared loop: an interrupted run resumes to exactly the result of an uninterrupted one."""

from pathlib import Path

import pytest
import torch
from conftest import quiet_run
from torch import nn

from clam_core.train.config import OptimConfig
from clam_core.train.loop import Trainer
from clam_core.train.optim import lr_factor

STEPS = 40


def _train(out: Path, init_seed: int, fail_at: int | None = None) -> nn.Module:
    torch.manual_seed(init_seed)
    net = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1))  # dropout uses the global RNG
    data = torch.Generator().manual_seed(1)
    trainer = Trainer(
        "fit",
        {"net": net},
        OptimConfig(steps=STEPS, warmup_steps=5, schedule="cosine"),
        quiet_run(out, checkpoint_every=1000),
        torch.device("cpu"),
        config={"note": "test"},
        generators={"data": data},
    )

    def step_fn(step: int) -> dict[str, torch.Tensor]:
        if step == fail_at:
            raise KeyboardInterrupt
        x = torch.randn(16, 4, generator=data)
        loss = ((net(x) - x.sum(1, keepdim=True)) ** 2).mean()
        return {"loss": loss}

    trainer.fit(step_fn)
    return net


def test_interrupted_run_resumes_to_the_same_parameters(tmp_path: Path) -> None:
    reference = _train(tmp_path / "straight", init_seed=0)
    with pytest.raises(KeyboardInterrupt):
        _train(tmp_path / "crashy", init_seed=0, fail_at=17)
    assert (tmp_path / "crashy" / "fit" / "trainer_state.json").is_file()
    resumed = _train(tmp_path / "crashy", init_seed=123)  # different init: weights must come from disk
    for a, b in zip(reference.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)


def test_resume_false_ignores_a_saved_state(tmp_path: Path) -> None:
    _train(tmp_path / "run", init_seed=0)
    net = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.2), nn.Linear(16, 1))
    for resume, expected_step in [(True, STEPS), (False, 0)]:
        trainer = Trainer(
            "fit",
            {"net": net},
            OptimConfig(steps=STEPS),
            quiet_run(tmp_path / "run", resume=resume),
            torch.device("cpu"),
            config={},
        )
        assert trainer.try_resume() is resume
        assert trainer.step == expected_step


def test_schedule_warms_up_then_decays() -> None:
    cfg = OptimConfig(steps=100, warmup_steps=10, schedule="cosine")
    assert lr_factor(0, cfg) == pytest.approx(0.1)
    assert lr_factor(9, cfg) == pytest.approx(1.0)
    assert lr_factor(10, cfg) == pytest.approx(1.0)
    assert lr_factor(55, cfg) == pytest.approx(0.5)
    assert lr_factor(100, cfg) == pytest.approx(0.0, abs=1e-9)
    assert lr_factor(50, OptimConfig(steps=100, warmup_steps=10)) == 1.0
    with pytest.raises(ValueError, match="unknown schedule"):
        OptimConfig(schedule="step")
