"""Random-shift image augmentation for policies trained on few demonstrations (after DrQ's random shifts).

Each image is padded by repeating its border pixels and cropped back to its size at a random offset of up to
`pad` pixels in each direction. Thirty demonstrations show the policy each scene from one viewpoint only;
shifting the frames keeps a convolutional policy from keying on exact pixel positions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def random_shift(images: Tensor, pad: int, generator: torch.Generator | None = None) -> Tensor:
    """Images [..., 3, P, P] -> the same shape, each image shifted by its own offset in [-pad, pad]²."""
    if pad < 0:
        raise ValueError(f"pad must be non-negative, got {pad}")
    if pad == 0:
        return images
    shape = images.shape
    flat = images.reshape(-1, *shape[-3:])
    size = shape[-1]
    padded = F.pad(flat, (pad, pad, pad, pad), mode="replicate")
    count = flat.shape[0]
    offsets = torch.randint(0, 2 * pad + 1, (count, 2), device=images.device, generator=generator)
    steps = torch.arange(size, device=images.device)
    rows = (offsets[:, 0, None] + steps)[:, :, None]  # [N, P, 1]
    cols = (offsets[:, 1, None] + steps)[:, None, :]  # [N, 1, P]
    picked = padded[torch.arange(count, device=images.device)[:, None, None], :, rows, cols]  # [N, P, P, 3]
    return picked.permute(0, 3, 1, 2).reshape(shape)
