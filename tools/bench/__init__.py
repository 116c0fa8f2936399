"""``python3 -m tools.bench``: run the real bot against tools/simnet and measure it (see docs/performance.md)."""
