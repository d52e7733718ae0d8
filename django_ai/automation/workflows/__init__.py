"""Durable workflows: declare with decorators in ``<app>/workflows.py``, run with ``engine``."""
