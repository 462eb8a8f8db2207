"""Checkpoints: save -> load reproduces the agent exactly; bad checkpoints fail with a message naming the
problem and the file."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import quiet_run, small_clam_config

from clam_core.algos.clam import train_clam
from clam_core.inference import LatentActionAgent
from clam_core.train.checkpoint import CheckpointError, load_checkpoint


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, small_toy_data) -> tuple[Path, object, object]:
    out = tmp_path_factory.mktemp("ckpt")
    path, model, stats = train_clam(small_clam_config(chunk_size=3), small_toy_data, quiet_run(out))
    return path, model, stats


def _observations(count: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(count, 8)).astype(np.float32)


def test_loaded_agent_reproduces_the_trained_model(trained) -> None:
    path, model, stats = trained
    agent = LatentActionAgent.load(path)
    for obs in _observations(5):
        normed = stats.normalize("observation.state", torch.from_numpy(obs)[None])
        with torch.no_grad():
            expected = stats.unnormalize("action", model.decoder(model.policy(normed)[0]))
        assert torch.equal(agent.predict_chunk(obs), expected)
    again = LatentActionAgent.load(path)
    agent.reset()
    for obs in _observations(6):
        np.testing.assert_array_equal(agent.act(obs), again.act({"observation.state": obs}))


def test_checkpoint_folder_layout(trained) -> None:
    path = trained[0]
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors", "stats.safetensors"]
    config = json.loads((path / "config.json").read_text())
    assert config["algo"] == "clam" and config["clam"]["policy"]["chunk_size"] == 3
    checkpoint = load_checkpoint(path)
    assert {k.split(".")[0] for k in checkpoint.tensors} == {"lam", "decoder", "policy"}


def test_training_wrote_tensorboard_scalars_and_resumable_state(trained) -> None:
    run_dir = trained[0].parent
    for stage in ("stage1", "stage2"):
        assert list((run_dir / "tensorboard" / stage).glob("events.out.tfevents.*")), stage
        assert (run_dir / stage / "trainer_state.json").is_file()


def _copy(trained, tmp_path: Path) -> Path:
    target = tmp_path / "ckpt"
    shutil.copytree(trained[0], target)
    return target


def test_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"nope: checkpoint folder not found"):
        LatentActionAgent.load(tmp_path / "nope")


def test_corrupt_weights_name_the_file(trained, tmp_path: Path) -> None:
    path = _copy(trained, tmp_path)
    data = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"model\.safetensors: not a readable safetensors file"):
        LatentActionAgent.load(path)


def test_garbage_config_names_the_file(trained, tmp_path: Path) -> None:
    path = _copy(trained, tmp_path)
    (path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"config\.json: invalid JSON"):
        LatentActionAgent.load(path)


def test_missing_stats_name_the_file(trained, tmp_path: Path) -> None:
    path = _copy(trained, tmp_path)
    (path / "stats.safetensors").unlink()
    with pytest.raises(CheckpointError, match=r"stats\.safetensors: file not found"):
        LatentActionAgent.load(path)


def test_mismatched_architecture_names_the_tensors(trained, tmp_path: Path) -> None:
    path = _copy(trained, tmp_path)
    config = json.loads((path / "config.json").read_text())
    config["clam"]["policy"]["hidden"] = [48, 48]  # the weights were trained with 32
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"model\.safetensors: does not fit the 'policy' model: shape"):
        LatentActionAgent.load(path)


def test_missing_tensors_are_named(trained, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    path = _copy(trained, tmp_path)
    tensors = load_file(str(path / "model.safetensors"))
    del tensors["decoder.embed.weight"]
    save_file(tensors, str(path / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing \['decoder\.embed\.weight'\]"):
        LatentActionAgent.load(path)


def test_discrete_vq_variant_trains_saves_and_loads(tmp_path: Path, small_toy_data) -> None:
    cfg = small_clam_config(steps=20)
    cfg.lam.vq.enabled = True
    path, _, _ = train_clam(cfg, small_toy_data, quiet_run(tmp_path))
    assert "lam.quantizer.vq._codebook.embed" in load_checkpoint(path).tensors
    agent = LatentActionAgent.load(path)
    assert agent.act(_observations(1)[0]).shape == (2,)
