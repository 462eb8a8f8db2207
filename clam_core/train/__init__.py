"""The shared training loop: optimiser and schedule, AMP, seeding, checkpoints, resume, logging."""
