"""Argument parsing for ``manage.py workflows``: options and positionals in any order.

argparse fills a subcommand's positionals from the first run of plain words, so
``workflows signal NAME --run 1 '{"ok": true}'`` left the payload "unrecognized". Each
subcommand's parser here parses the intermixed way (options first, then the positionals that
remain), and also accepts Django's own options (``-v 2``, ``--traceback``) after the
subcommand, where an operator naturally types them.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandParser

# Django's options every command has; repeated on each subcommand, without defaults, so the
# value given before the subcommand (or Django's default) stands unless given after it.
_COMMON = [
    (("-v", "--verbosity"), {"type": int, "choices": [0, 1, 2, 3],
                             "help": "Verbosity level; 0=minimal, 1=normal, 2=verbose."}),
    (("--traceback",), {"action": "store_true", "help": "Raise on CommandError exceptions."}),
    (("--no-color",), {"action": "store_true", "help": "Don't colorize the command output."}),
    (("--force-color",), {"action": "store_true", "help": "Force colorization."}),
]


class IntermixedParser(CommandParser):
    """A subcommand parser whose options may come before, between or after its positionals."""

    _intermixing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for flags, options in _COMMON:
            self.add_argument(*flags, default=argparse.SUPPRESS, **options)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        # parse_known_intermixed_args calls parse_known_args itself (twice): go plain then.
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False
