"""Shared building blocks: latent action models, quantiser, action decoder, latent policies."""
