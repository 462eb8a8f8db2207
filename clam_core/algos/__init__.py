"""One module per method, each holding its config dataclass and training recipe."""
