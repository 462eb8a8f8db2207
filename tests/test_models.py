"""Model shapes, the FDM's causal mask, and the optional VQ bottleneck."""

import torch

from clam_core.models.decoders import ActionDecoder, DecoderConfig
from clam_core.models.lam import LAMConfig, LatentActionModel
from clam_core.models.lam_transformer import TransformerFDM, TransformerSize, causal_mask
from clam_core.models.policies import MLPLatentPolicy, PolicyConfig
from clam_core.models.quantizer import VQConfig


def test_paper_size_models_have_expected_shapes_and_sizes() -> None:
    windows = torch.randn(4, 3, 39)  # MetaWorld state, context H=1
    mlp = LatentActionModel(39, LAMConfig(kind="mlp"))
    out = mlp(windows)
    assert out.latents.shape == (4, 1, 16) and out.predictions.shape == (4, 1, 39)
    assert torch.equal(out.targets, windows[:, -1:]) and torch.equal(out.previous, windows[:, 1:2])
    transformer = LatentActionModel(39, LAMConfig(kind="transformer"))
    out = transformer(windows)
    assert out.latents.shape == (4, 2, 16) and out.predictions.shape == (4, 2, 39)
    assert torch.equal(out.targets, windows[:, 1:])
    params = sum(p.numel() for p in transformer.parameters())
    assert 8_000_000 < params < 9_500_000  # paper Appendix G: ~8.9M for the state Transformer CLAM
    decoder = ActionDecoder(16, 4, DecoderConfig())
    assert decoder(out.latents).shape == (4, 2, 4)
    policy = MLPLatentPolicy(39, 16, PolicyConfig(chunk_size=5))
    assert policy(torch.randn(4, 39)).shape == (4, 5, 16)


def test_causal_mask_blocks_only_the_future() -> None:
    mask = causal_mask(4, torch.device("cpu"))
    assert mask.dtype == torch.bool
    assert mask.tolist() == [
        [False, True, True, True],
        [False, False, True, True],
        [False, False, False, True],
        [False, False, False, False],
    ]


def test_fdm_output_does_not_depend_on_future_inputs() -> None:
    torch.manual_seed(0)
    size = TransformerSize(d_model=32, n_heads=4, n_layers=2, ff_dim=64, dropout=0.1)
    fdm = TransformerFDM(obs_dim=6, latent_dim=4, window=7, size=size).eval()
    context, latents = torch.randn(2, 6, 6), torch.randn(2, 6, 4)
    base = fdm(context, latents)
    for changed in range(1, 6):
        edited = context.clone()
        edited[:, changed] += 10.0 * torch.randn(2, 6)
        out = fdm(edited, latents)
        # Every position before the edited one is unchanged, the edited one and later ones do change.
        assert torch.allclose(out[:, :changed], base[:, :changed], atol=1e-5), f"future leak at {changed}"
        assert not torch.allclose(out[:, changed:], base[:, changed:], atol=1e-3)


def test_vq_bottleneck_snaps_latents_to_the_codebook() -> None:
    torch.manual_seed(0)
    cfg = LAMConfig(kind="mlp", mlp_hidden=(32, 32), vq=VQConfig(enabled=True, codebook_size=8))
    lam = LatentActionModel(5, cfg).eval()
    latents, commit_loss = lam.encode(torch.randn(64, 3, 5))
    codebook = lam.quantizer.vq.codebook
    distances = torch.cdist(latents.reshape(-1, 16), codebook)
    assert torch.all(distances.min(dim=1).values < 1e-3)  # cdist is computed through a matmul
    assert len(torch.unique(latents.reshape(-1, 16), dim=0)) <= 8
    assert commit_loss.ndim == 0


def test_residual_fdm_predicts_the_change_on_top_of_the_last_frame() -> None:
    small = TransformerSize(d_model=16, n_heads=2, n_layers=1, ff_dim=32)
    for kind in ("mlp", "transformer"):
        lam = LatentActionModel(
            5, LAMConfig(kind=kind, context=2, mlp_hidden=(8,), transformer=small, residual_fdm=True)
        )
        last_layer = [m for m in lam.fdm.modules() if isinstance(m, torch.nn.Linear)][-1]
        torch.nn.init.zeros_(last_layer.weight)
        torch.nn.init.zeros_(last_layer.bias)
        out = lam(torch.randn(3, 4, 5))
        assert torch.equal(out.predictions, out.previous)  # zero change predicted: exactly copy-last
        assert not torch.equal(out.previous, out.targets)
