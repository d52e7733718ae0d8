"""Benchmarks: scripts that print tables of figures (they are not tests). See README.md."""
