"""Side-by-side comparison with other durable-workflow libraries (``python -m bench.peers``)."""
