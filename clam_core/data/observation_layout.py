"""Image + proprioception observations as one flat vector per step.

Every sampler, relabeller and normaliser works on `[N, D]` observation tensors; image-based models keep that
contract by flattening each step into `[state (S) | camera_1 (3*P*P) | camera_2 ...]`, pixels as floats in
0..255 at the model's resolution P. The layout knows the segments, so models split the vector back into a
state and `[3, P, P]` images, and the same `flatten` serves dataset conversion and inference (one resize).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from clam_core.keys import IMAGE_KEY_PREFIX, STATE_KEY

# Pixels are normalised with fixed statistics ([0, 255] -> [-1, 1]): per-pixel mean/std would blow up pixels
# that barely vary in the data (static background) and make their small changes dominate the FDM's loss.
PIXEL_MEAN, PIXEL_STD = 127.5, 127.5


def resize_images(images: Tensor | np.ndarray, size: int) -> Tensor:
    """uint8 images [..., H, W, 3] (channels last, as cameras give them) or [..., 3, H, W] -> float pixels
    [..., 3, size, size] in 0..255 (antialiased bilinear)."""
    pixels = torch.as_tensor(np.asarray(images))
    if pixels.shape[-1] == 3 and pixels.shape[-3] != 3:
        pixels = pixels.movedim(-1, -3)
    if pixels.shape[-3] != 3:
        raise ValueError(f"expected RGB images, got shape {tuple(pixels.shape)}")
    lead = pixels.shape[:-3]
    flat = pixels.reshape(-1, *pixels.shape[-3:]).float()
    if flat.shape[-2:] != (size, size):
        flat = F.interpolate(flat, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return flat.clamp(0, 255).reshape(*lead, 3, size, size)


@dataclass(frozen=True)
class ObservationLayout:
    state_dim: int
    cameras: tuple[str, ...] = ()
    image_size: int = 64

    def __post_init__(self) -> None:
        if self.state_dim < 0 or self.image_size < 8:
            raise ValueError(f"invalid layout: state_dim {self.state_dim}, image_size {self.image_size}")
        if len(set(self.cameras)) != len(self.cameras):
            raise ValueError(f"cameras must be distinct, got {self.cameras}")

    @property
    def pixels_per_image(self) -> int:
        return 3 * self.image_size * self.image_size

    @property
    def dim(self) -> int:
        return self.state_dim + len(self.cameras) * self.pixels_per_image

    @property
    def has_images(self) -> bool:
        return bool(self.cameras)

    def image_slice(self, index: int) -> slice:
        start = self.state_dim + index * self.pixels_per_image
        return slice(start, start + self.pixels_per_image)

    def state(self, flat: Tensor) -> Tensor:
        """[..., D] -> [..., S]."""
        return flat[..., : self.state_dim]

    def images(self, flat: Tensor) -> Tensor:
        """[..., D] -> [..., cameras, 3, P, P]."""
        size = self.image_size
        pieces = [
            flat[..., self.image_slice(i)].unflatten(-1, (3, size, size)) for i in range(len(self.cameras))
        ]
        return torch.stack(pieces, dim=-4)

    def join(self, state: Tensor, images: Tensor) -> Tensor:
        """Inverse of (`state`, `images`): [..., S] and [..., cameras, 3, P, P] -> [..., D]."""
        return torch.cat([state, images.flatten(-4)], dim=-1)

    def flatten(self, state: Tensor | np.ndarray, images: Mapping[str, Tensor | np.ndarray]) -> Tensor:
        """One step or a batch: state [..., S] and each camera's uint8 images -> float32 [..., D]."""
        missing = [camera for camera in self.cameras if camera not in images]
        if missing:
            raise KeyError(f"observation lacks the images of cameras {missing}")
        state_t = torch.as_tensor(np.asarray(state), dtype=torch.float32)
        if state_t.shape[-1] != self.state_dim:
            raise ValueError(f"state has {state_t.shape[-1]} values, the layout expects {self.state_dim}")
        pixels = [resize_images(images[c], self.image_size).flatten(-3) for c in self.cameras]
        return torch.cat([state_t, *pixels], dim=-1)

    def flatten_observation(self, observation: Mapping[str, np.ndarray]) -> Tensor:
        """A policy input dict (`observation.state`, `observation.images.<camera>`) -> [D]."""
        images = {
            c: observation[IMAGE_KEY_PREFIX + c] for c in self.cameras if IMAGE_KEY_PREFIX + c in observation
        }
        return self.flatten(observation[STATE_KEY], images)

    def full_stats(self, state_mean: Tensor, state_std: Tensor) -> tuple[Tensor, Tensor]:
        """Per-feature mean and std over the whole vector: the state's own, fixed ones for the pixels."""
        pixels = self.dim - self.state_dim
        return (
            torch.cat([state_mean, torch.full((pixels,), PIXEL_MEAN)]),
            torch.cat([state_std, torch.full((pixels,), PIXEL_STD)]),
        )

    def to_dict(self) -> dict:
        return {"state_dim": self.state_dim, "cameras": list(self.cameras), "image_size": self.image_size}

    @classmethod
    def from_dict(cls, values: Mapping) -> ObservationLayout:
        return cls(
            int(values["state_dim"]), tuple(values.get("cameras", ())), int(values.get("image_size", 64))
        )
