"""``workflows prune``: delete finished runs older than an age (observe/retention.py).

    workflows prune --finished-before 30d [--dry-run] [--workflow NAME] [--batch-size 500]
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ..clock import now
from ..observe.retention import prune
from .runinfo import parse_age


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("prune", help="Delete finished runs (and their history) older "
                                          "than an age; --dry-run shows what would go.")
    parser.add_argument("--finished-before", required=True, metavar="AGE",
                        help="Runs that finished more than this long ago (e.g. 30d, 12h).")
    parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")
    parser.add_argument("--workflow", default=None, help="Only runs of this workflow.")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="Runs per transaction (default: RETENTION_BATCH_SIZE).")
    parser.add_argument("--pause", type=float, default=None, metavar="SECONDS",
                        help="Sleep between batches (default: half as long as a batch took, "
                             "to leave the database to the workers).")


def handle(command: BaseCommand, options: dict[str, Any]) -> None:
    if options["batch_size"] is not None and options["batch_size"] < 1:
        raise CommandError("--batch-size needs a positive number.")
    if options["pause"] is not None and options["pause"] < 0:
        raise CommandError("--pause cannot be negative.")
    cutoff = now() - parse_age(options["finished_before"])
    report = prune(cutoff, dry_run=options["dry_run"], batch_size=options["batch_size"],
                   workflow=options["workflow"], pause=options["pause"])
    for line in report.lines():
        command.stdout.write(line)
