"""Concurrency and rate limits per step or workflow, optionally per Context key."""
