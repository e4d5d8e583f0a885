"""One module per area of parsers; each defines ``TARGETS: list[Target]``."""
