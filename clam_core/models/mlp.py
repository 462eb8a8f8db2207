"""The MLP used throughout the paper: Linear layers with LeakyReLU(0.2) between them."""

from collections.abc import Sequence

from torch import nn

LEAKY_SLOPE = 0.2


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, dropout: float = 0.0) -> nn.Sequential:
    """`in -> hidden[0] -> ... -> hidden[-1] -> out`, LeakyReLU(0.2) after every hidden layer."""
    layers: list[nn.Module] = []
    width = in_dim
    for size in hidden:
        layers += [nn.Linear(width, size), nn.LeakyReLU(LEAKY_SLOPE)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)
