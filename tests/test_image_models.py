"""Image-based models: the observation layout, the space-time LAM (its masks included) and the chunked
ResNet18 / IDM-backbone latent policy."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from clam_core.data.observation_layout import ObservationLayout, resize_images
from clam_core.models.image_policy import ChunkedImagePolicy, ImagePolicyConfig
from clam_core.models.lam import LAMConfig, LatentActionModel
from clam_core.models.lam_spacetime import FrameTokenizer, SpaceTimeSize

LAYOUT = ObservationLayout(state_dim=7, cameras=("external", "shoulder"), image_size=64)
SMALL = SpaceTimeSize(d_model=32, n_heads=2, n_layers=2, ff_dim=64, dropout=0.0)


def _windows(batch: int, frames: int, layout: ObservationLayout = LAYOUT) -> torch.Tensor:
    return torch.randn(batch, frames, layout.dim)


def test_layout_flattens_resizes_and_splits_back() -> None:
    rng = np.random.default_rng(0)
    external = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
    shoulder = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    state = np.arange(7, dtype=np.float32)
    flat = LAYOUT.flatten_observation(
        {
            "observation.state": state,
            "observation.images.external": external,
            "observation.images.shoulder": shoulder,
        }
    )
    assert flat.shape == (LAYOUT.dim,) and LAYOUT.dim == 7 + 2 * 3 * 64 * 64
    assert torch.equal(LAYOUT.state(flat), torch.from_numpy(state))
    images = LAYOUT.images(flat)
    assert images.shape == (2, 3, 64, 64)
    assert torch.equal(images[1], torch.from_numpy(shoulder).permute(2, 0, 1).float())  # same size: exact
    assert torch.allclose(images[0], resize_images(external, 64))
    assert torch.equal(LAYOUT.join(LAYOUT.state(flat), images), flat)
    with pytest.raises(KeyError, match="shoulder"):
        LAYOUT.flatten(state, {"external": external})
    assert ObservationLayout.from_dict(LAYOUT.to_dict()) == LAYOUT


def test_patchify_round_trips_and_keeps_patches_local() -> None:
    tokenizer = FrameTokenizer(LAYOUT, SMALL, max_frames=3)
    images = torch.randn(2, 3, 3, 64, 64)
    patches = tokenizer.patchify(images)
    assert patches.shape == (2, 3, 16, 3 * 16 * 16)
    assert torch.equal(tokenizer.unpatchify(patches), images)
    # patch 1 is the top row's second 16x16 cell
    assert torch.equal(patches[0, 0, 1], images[0, 0, :, :16, 16:32].permute(1, 2, 0).flatten())


def test_spacetime_lam_shapes_and_paper_size() -> None:
    lam = LatentActionModel(LAYOUT, LAMConfig(kind="spacetime", context=1, spacetime=SMALL))
    windows = _windows(4, 3)
    out = lam(windows)
    assert out.latents.shape == (4, 2, 16)
    assert out.predictions.shape == (4, 2, LAYOUT.dim) == out.targets.shape
    assert torch.equal(out.targets, windows[:, 1:])
    one_camera = ObservationLayout(7, ("external",), 64)
    paper = LatentActionModel(one_camera, LAMConfig(kind="spacetime", latent_dim=16))
    params = sum(p.numel() for p in paper.parameters())
    assert 10_000_000 < params < 14_000_000  # paper Appendix G: ~12.2M for Space-Time CLAM


def test_spacetime_fdm_cannot_see_the_future() -> None:
    """Prediction k (of o_{k+1}) must not change when later context frames or later latents change."""
    torch.manual_seed(0)
    lam = LatentActionModel(LAYOUT, LAMConfig(kind="spacetime", context=2, spacetime=SMALL)).eval()
    context, latents = _windows(2, 3), torch.randn(2, 3, 16)
    base = lam.fdm(context, latents)
    changed_frame, changed_latent = context.clone(), latents.clone()
    changed_frame[:, 2] += 5.0
    changed_latent[:, 2] += 5.0
    for out in (lam.fdm(changed_frame, latents), lam.fdm(context, changed_latent)):
        assert torch.allclose(out[:, :2], base[:, :2], atol=1e-5)  # earlier predictions untouched
        assert not torch.allclose(out[:, 2], base[:, 2], atol=1e-3)  # the last one does depend on them


def test_spacetime_idm_is_bidirectional_and_fuses_state() -> None:
    torch.manual_seed(0)
    lam = LatentActionModel(LAYOUT, LAMConfig(kind="spacetime", context=1, spacetime=SMALL)).eval()
    windows = _windows(2, 3)
    base = lam.idm(windows)
    future = windows.clone()
    future[:, 2] += 5.0
    assert not torch.allclose(lam.idm(future)[:, 0], base[:, 0], atol=1e-3)  # z_{t-1} sees o_{t+1}
    state_only = windows.clone()
    state_only[:, 2, :7] += 5.0
    assert not torch.allclose(lam.idm(state_only), base, atol=1e-3)
    blind = LatentActionModel(
        LAYOUT, LAMConfig(kind="spacetime", spacetime=SpaceTimeSize(**{**vars(SMALL), "use_state": False}))
    ).eval()
    assert torch.allclose(blind.idm(state_only), blind.idm(windows))
    # Without a state token the FDM carries the state over from o_t.
    assert torch.equal(blind(windows).predictions[:, -1, :7], windows[:, 1, :7])


def test_spacetime_needs_images() -> None:
    with pytest.raises(ValueError, match="camera"):
        LatentActionModel(7, LAMConfig(kind="spacetime"))


SMALL_POLICY = ImagePolicyConfig(d_model=32, n_heads=2, n_layers=2, ff_dim=64, dropout=0.0)


def test_chunked_resnet_policy_shapes_and_causal_queries() -> None:
    torch.manual_seed(0)
    policy = ChunkedImagePolicy(LAYOUT, latent_dim=16, chunk_size=5, cfg=SMALL_POLICY).eval()
    observations = torch.rand(3, LAYOUT.dim) * 2 - 1
    chunk = policy(observations)
    assert chunk.shape == (3, 5, 16)
    # 2 cameras x (2x2 ResNet18 map at 64x64) + 1 state token
    assert policy.observation_tokens(observations).shape == (3, 9, 32)
    other = observations.clone()
    other[:, LAYOUT.image_slice(1)] *= -1
    assert not torch.allclose(policy(other), chunk, atol=1e-4)  # the shoulder camera matters
    paper = ChunkedImagePolicy(LAYOUT, 16, 5, ImagePolicyConfig())
    resnet = sum(p.numel() for p in paper.backbone.parameters())
    assert 11_000_000 < resnet < 11_300_000  # ResNet18 without its classifier


def test_resnet_weights_load_only_from_a_local_file(tmp_path) -> None:
    source = ChunkedImagePolicy(LAYOUT, 16, 5, SMALL_POLICY)
    weights = {f"{k}": v for k, v in source.backbone.features.state_dict().items()}
    # torchvision names: features.0 = conv1, .1 = bn1, .4 = layer1 ...
    names = ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    renamed = {names[int(k.split(".")[0])] + k[len(k.split(".")[0]) :]: v for k, v in weights.items()}
    path = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in renamed.items()}, str(path))
    loaded = ChunkedImagePolicy(
        LAYOUT, 16, 5, ImagePolicyConfig(**{**vars(SMALL_POLICY), "pretrained_path": str(path)})
    )
    for key, value in source.backbone.features.state_dict().items():
        assert torch.equal(loaded.backbone.features.state_dict()[key], value)
    with pytest.raises(FileNotFoundError, match="not found"):
        ChunkedImagePolicy(LAYOUT, 16, 5, ImagePolicyConfig(pretrained_path=str(tmp_path / "absent.pth")))


def test_idm_backbone_starts_from_the_trained_idm() -> None:
    from clam_core.algos.clam import CLAMConfig, CLAMModel
    from clam_core.models.policies import PolicyConfig

    cfg = CLAMConfig(
        lam=LAMConfig(kind="spacetime", spacetime=SMALL),
        policy=PolicyConfig(
            chunk_size=5, image=ImagePolicyConfig(**{**vars(SMALL_POLICY), "backbone": "idm"})
        ),
    )
    model = CLAMModel(cfg, LAYOUT, action_dim=7)
    assert model.policy(torch.randn(2, LAYOUT.dim)).shape == (2, 5, 16)
    with torch.no_grad():
        model.lam.idm.tokenizer.patch_embed.weight.add_(1.0)  # "training"
    copy = model.policy.backbone.idm
    assert copy is not model.lam.idm
    assert not torch.equal(copy.tokenizer.patch_embed.weight, model.lam.idm.tokenizer.patch_embed.weight)
    model.start_policy_from_idm()
    assert torch.equal(copy.tokenizer.patch_embed.weight, model.lam.idm.tokenizer.patch_embed.weight)
