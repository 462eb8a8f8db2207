"""Proof that CLAM learns, on a toy system whose true actions are known (clam_core.envs.point_mass).

~5% of the transitions are labelled (random play). The jointly trained decoder must recover held-out
actions with R² >= 0.9, the FDM must beat copying the last observation, and without joint training
(beta = 0: the decoder is fit on detached latents) the decoder must be clearly worse, the paper's finding.
"""

import pytest
from conftest import quiet_run, small_clam_config

from clam_core.algos.clam import CLAMData, evaluate_lam, train_stage1
from clam_core.data.episodes import LabelledEpisodes
from clam_core.envs import point_mass

pytestmark = pytest.mark.slow

HIDDEN = 128
STEPS = {"mlp": 1500, "transformer": 800}  # each training stays well under 30 s on 2 CPU cores


@pytest.fixture(scope="module")
def data() -> CLAMData:
    return point_mass.make_clam_data(play_episodes=300, expert_episodes=100, labelled_fraction=0.05)


@pytest.fixture(scope="module")
def held_out() -> LabelledEpisodes:
    observations, actions, _ = point_mass.generate(point_mass.play_controller, 40, seed=50_000)
    return LabelledEpisodes.from_arrays(observations, actions)


def _train_and_evaluate(
    data: CLAMData, held_out: LabelledEpisodes, kind: str, beta: float, out
) -> dict[str, float]:
    cfg = small_clam_config(kind=kind, steps=STEPS[kind], hidden=HIDDEN, beta=beta)
    trained = train_stage1(cfg, data, quiet_run(out))  # the policy (stage 2) is not under test here
    return evaluate_lam(trained.model, held_out, trained.stats)


@pytest.fixture(scope="module", params=["mlp", "transformer"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def joint(data, held_out, kind, tmp_path_factory) -> dict[str, float]:
    return _train_and_evaluate(data, held_out, kind, beta=1.0, out=tmp_path_factory.mktemp("joint"))


@pytest.fixture(scope="module")
def separate(data, held_out, kind, tmp_path_factory) -> dict[str, float]:
    return _train_and_evaluate(data, held_out, kind, beta=0.0, out=tmp_path_factory.mktemp("separate"))


def test_labelled_share_is_about_five_percent(data: CLAMData) -> None:
    assert 0.04 <= data.labelled.num_steps / data.unlabelled.num_steps <= 0.06


def test_joint_decoder_recovers_held_out_actions(joint: dict[str, float]) -> None:
    assert joint["decoder_r2"] >= 0.9, joint


def test_fdm_beats_copying_the_last_observation(joint: dict[str, float]) -> None:
    assert joint["recon_loss"] < 0.5 * joint["copy_last_loss"], joint


def test_without_joint_training_the_decoder_is_clearly_worse(
    joint: dict[str, float], separate: dict[str, float]
) -> None:
    assert separate["recon_loss"] < separate["copy_last_loss"], separate  # the LAM itself still learned
    assert joint["decoder_r2"] - separate["decoder_r2"] >= 0.1, (joint, separate)
