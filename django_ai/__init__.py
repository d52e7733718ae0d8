"""django-ai-workflows: durable, multi-step business workflows for Django."""

__version__ = "0.1.0"
