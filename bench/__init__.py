"""Benchmarks: scripts that print tables of figures (they are not tests). See README.md.

Importing the package configures Django with ``bench.settings`` (it opens no connection), so
the scripts can import models at module level.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()
