"""Random-shift augmentation: a translated copy of each image with its border repeated, off at pad 0."""

import pytest
import torch

from clam_core.data.observation_layout import ObservationLayout
from clam_core.models.augment import random_shift
from clam_core.models.image_policy import ChunkedImagePolicy, ImagePolicyConfig

LAYOUT = ObservationLayout(state_dim=7, cameras=("external", "shoulder"), image_size=32)


def test_each_image_is_its_own_translated_copy() -> None:
    images = torch.rand(6, 2, 3, 16, 16)
    shifted = random_shift(images, 3, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape
    offsets = set()
    for source, result in zip(images.flatten(0, 1), shifted.flatten(0, 1), strict=True):
        padded = torch.nn.functional.pad(source[None], (3, 3, 3, 3), mode="replicate")[0]
        matches = [
            (dy, dx)
            for dy in range(7)
            for dx in range(7)
            if torch.equal(padded[:, dy : dy + 16, dx : dx + 16], result)
        ]
        assert matches, "the output is not a crop of the border-padded image"
        offsets.add(matches[0])
    assert len(offsets) > 1  # the 12 images do not all share one offset


def test_zero_pad_is_the_identity_and_negative_is_refused() -> None:
    images = torch.rand(2, 3, 8, 8)
    assert random_shift(images, 0) is images
    with pytest.raises(ValueError, match="non-negative"):
        random_shift(images, -1)
    with pytest.raises(ValueError, match="random_shift"):
        ImagePolicyConfig(random_shift=-2)


def test_the_policy_shifts_its_images_only_while_training() -> None:
    torch.manual_seed(0)
    cfg = ImagePolicyConfig(backbone="convnet", d_model=32, n_heads=2, n_layers=1, ff_dim=64, dropout=0.0)
    shifted = ChunkedImagePolicy(LAYOUT, 4, 2, ImagePolicyConfig(**{**vars(cfg), "random_shift": 4}))
    plain = ChunkedImagePolicy(LAYOUT, 4, 2, cfg)
    plain.load_state_dict(shifted.state_dict())
    observations = torch.rand(3, LAYOUT.dim) * 2 - 1
    plain.train()
    assert torch.equal(plain(observations), plain(observations))  # no dropout: training is deterministic
    shifted.train()
    assert not torch.allclose(shifted(observations), shifted(observations))
    shifted.eval()
    assert torch.equal(shifted(observations), plain.eval()(observations))
