"""Benchmarks: each script prints its time as a ratio against a baseline measured in the same
run, never as an absolute target. Run them all with ``python -m bench`` (see README.md)."""
