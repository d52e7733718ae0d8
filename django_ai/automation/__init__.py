"""Workflow automation: the workflows engine, events and testing helpers."""
