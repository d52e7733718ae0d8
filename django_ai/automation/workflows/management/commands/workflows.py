"""``manage.py workflows``: look at runs and act on them from a shell.

    workflows list [--status S] [--name N] [--idempotency-key K] [--older-than 2h]
                   [--newer-than 1d] [--limit 50]
    workflows show ID
    workflows cancel ID [--reason TEXT]
    workflows retry ID
    workflows signal NAME [JSON] (--run ID | --all)
    workflows graph WORKFLOW
    workflows check [WORKFLOW ...]
    workflows schedules
    workflows tick [--every SECONDS]
    workflows prune --finished-before 30d [--dry-run]

Options and positionals may come in any order (``signal NAME --run 3 '{"ok": true}'``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from ... import registry
from ...engine import engine
from ...errors import WorkflowError
from ...models import TERMINAL_STATUSES, WorkflowRun, WorkflowStatus
from ...scheduling.checking import schedule_problems
from ...scheduling.listing import write_schedules
from ...scheduling.models import Schedule
from ...scheduling.sync import sync_code_schedules
from ...specs import WorkflowSpec
from .. import prune
from ..graph import build_graph, to_mermaid
from ..lint import lint
from ..parsing import IntermixedParser
from ..runinfo import (
    parse_age,
    problems_in_flight,
    short_duration,
    stranded_parents,
    when,
    why_waiting,
)

_CHECK_BATCH = 2000


def _ago(now: Any, text: str, option: str) -> Any:
    """``now`` minus the age ``text``; an age that is no age, or beyond the calendar, is a
    CommandError."""
    try:
        return now - parse_age(text)
    except ValueError as exc:
        raise CommandError(f"{option}: {exc}")
    except OverflowError:
        raise CommandError(f"{option} {text!r} reaches back before the year 1; give a "
                           "smaller age, e.g. 30d or 52w.")


class Command(BaseCommand):
    help = "Inspect and operate workflow runs: list, show, cancel, retry, signal, graph, check."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND",
                                    parser_class=IntermixedParser)
        listing = sub.add_parser("list", help="List runs, newest first.")
        listing.add_argument("--status", action="append", choices=WorkflowStatus.values,
                             help="Only runs with this status (repeatable).")
        listing.add_argument("--name", help="Only runs of this workflow.")
        listing.add_argument("--idempotency-key", help="Only runs started with this key.")
        listing.add_argument("--older-than", help="Only runs created before this age ago (2h).")
        listing.add_argument("--newer-than", help="Only runs created within this age (1d).")
        listing.add_argument("--limit", type=int, default=50, help="At most this many rows.")
        show = sub.add_parser("show", help="A run's context, history and what it waits for.")
        show.add_argument("run_id", type=int)
        cancel = sub.add_parser("cancel", help="Cancel a run and its active subworkflows.")
        cancel.add_argument("run_id", type=int)
        cancel.add_argument("--reason", default=None)
        retry = sub.add_parser("retry", help="Retry a failed run (or one in a retry backoff).")
        retry.add_argument("run_id", type=int)
        signal = sub.add_parser("signal", help="Send a signal with an optional JSON payload to "
                                               "one run (--run) or every waiting run (--all).")
        signal.add_argument("name")
        signal.add_argument("payload", nargs="?", default=None, help='e.g. \'{"approved": true}\'')
        target = signal.add_mutually_exclusive_group(required=True)
        target.add_argument("--run", type=int, default=None, help="Only this run.")
        target.add_argument("--all", action="store_true",
                            help="Every run waiting for this signal (a broadcast).")
        graph = sub.add_parser("graph", help="A workflow's steps and transitions as Mermaid.")
        graph.add_argument("workflow")
        check = sub.add_parser("check", help="Validate the registry and the runs in flight.")
        check.add_argument("workflows", nargs="*", metavar="WORKFLOW",
                           help="Only these workflows (default: all registered).")
        sub.add_parser("schedules", help="Every schedule with its next due time and last run.")
        tick = sub.add_parser("tick", help="Fire due timers once (or every N seconds).")
        tick.add_argument("--every", type=float, default=None, metavar="SECONDS",
                          help="Keep ticking at this interval until interrupted; prints only "
                               "when something fired (every tick with -v 2).")
        prune.add_parser(sub)

    def do_prune(self, options: dict[str, Any]) -> None:
        prune.handle(self, options)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"do_{options['subcommand']}")
        try:
            handler(options)
        except (WorkflowError, WorkflowRun.DoesNotExist, ValueError) as exc:
            raise CommandError(str(exc))

    # list ---------------------------------------------------------------------------------
    def _filtered(self, options: dict[str, Any]) -> QuerySet[WorkflowRun]:
        runs = WorkflowRun.objects.order_by("-id")
        now = timezone.now()
        if options["status"]:
            runs = runs.filter(status__in=options["status"])
        if options["name"]:
            runs = runs.filter(name=options["name"])
        if options.get("idempotency_key"):
            runs = runs.filter(idempotency_key=options["idempotency_key"])
        if options["older_than"]:
            runs = runs.filter(created_at__lte=_ago(now, options["older_than"], "--older-than"))
        if options["newer_than"]:
            runs = runs.filter(created_at__gte=_ago(now, options["newer_than"], "--newer-than"))
        return runs

    def do_list(self, options: dict[str, Any]) -> None:
        runs = self._filtered(options)
        total = runs.count()
        rows = list(runs[: max(options["limit"], 0)])
        now = timezone.now()
        header = f"{'ID':>7}  {'WORKFLOW':<28} {'STATUS':<10} {'STEP':<24} {'PROG':>5}  AGE"
        self.stdout.write(header)
        for run in rows:
            age = short_duration(now - run.created_at)
            self.stdout.write(
                f"{run.pk:>7}  {run.name[:28]:<28} {run.status:<10} {run.current_step[:24]:<24} "
                f"{run.progress * 100:>4.0f}%  {age}"
            )
        self.stdout.write(f"{len(rows)} of {total} matching runs shown.")

    # show ---------------------------------------------------------------------------------
    def do_show(self, options: dict[str, Any]) -> None:
        run = WorkflowRun.objects.filter(pk=options["run_id"]).first()
        if run is None:
            raise CommandError(f"No workflow run with id {options['run_id']}.")
        write = self.stdout.write
        write(f"Run {run.pk}: {run.name} (version {run.version})")
        write(f"  status:   {run.status} at step {run.current_step!r}, "
              f"progress {run.progress * 100:.0f}%")
        write(f"  why:      {why_waiting(run)}")
        write(f"  created:  {when(run.created_at)}")
        write(f"  updated:  {when(run.updated_at)}")
        if run.idempotency_key:
            write(f"  key:      {run.idempotency_key!r} (idempotency key)")
        if run.parent_run_id:
            write(f"  parent:   run {run.parent_run_id}")
        children = list(run.child_runs.order_by("id").values_list("id", "name", "status"))
        for child_id, name, status in children:
            write(f"  child:    run {child_id} ({name}, {status})")
        if run.error:
            write("  error:    " + run.error.strip().splitlines()[-1])
        for item in run.kept_signals:
            write(f"  kept:     signal {item.get('name')!r} since {item.get('kept_at')}, "
                  f"payload {json.dumps(item.get('payload'), sort_keys=True, default=str)}")
        write("Context:")
        write(json.dumps(run.data, indent=2, sort_keys=True, default=str))
        write("History:")
        for row in run.step_executions.order_by("id"):
            error = f"  {row.error.strip().splitlines()[-1]}" if row.error.strip() else ""
            write(f"  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:<9}  {row.step_name}{error}")
        if not run.step_executions.exists():
            write("  (no finished steps yet)")

    # operations ---------------------------------------------------------------------------
    def do_cancel(self, options: dict[str, Any]) -> None:
        if engine.cancel(options["run_id"], reason=options["reason"]):
            self.stdout.write(f"Run {options['run_id']} cancelled.")
        else:
            self.stdout.write(f"Run {options['run_id']} had already finished; nothing changed.")

    def do_retry(self, options: dict[str, Any]) -> None:
        # A run in any other state than failed / retry backoff: RunStateError naming its
        # status, which handle() turns into a CommandError.
        engine.retry_current_step(options["run_id"])
        run = WorkflowRun.objects.get(pk=options["run_id"])
        self.stdout.write(f"Run {run.pk} retried at step {run.current_step!r}; now {run.status}.")

    def do_signal(self, options: dict[str, Any]) -> None:
        payload = None
        if options["payload"]:
            try:
                payload = json.loads(options["payload"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"The payload is not valid JSON: {exc}.")
            if not isinstance(payload, dict):
                raise CommandError("The payload must be a JSON object, e.g. '{\"ok\": true}'.")
        outcome = engine.signal(options["name"], payload, run_id=options["run"])
        if outcome.kept:
            self.stdout.write(f"Run {options['run']} is not waiting for {options['name']!r} yet: "
                              "the signal is kept for its next wait for it.")
            return
        target = f"run {options['run']}" if options["run"] is not None else "every waiting run"
        self.stdout.write(f"Signal {options['name']!r} sent to {target}: resumed {outcome} "
                          "run(s).")
        run = WorkflowRun.objects.filter(pk=options["run"]).first() if options["run"] else None
        if run is not None and run.is_finished:
            self.stdout.write(f"Run {run.pk} is {run.status}; no signal can reach it.")

    # graph and check ----------------------------------------------------------------------
    def do_graph(self, options: dict[str, Any]) -> None:
        graph = build_graph(registry.get(options["workflow"]))
        self.stdout.write(to_mermaid(graph), ending="")
        for step in graph.unreadable:
            self.stderr.write(f"Note: the source of step {step!r} could not be read.")

    def do_check(self, options: dict[str, Any]) -> None:
        names = options["workflows"]
        specs = [registry.get(name) for name in names] or registry.all_specs()
        problems = self._registry_problems(specs)
        problems += self._run_problems(names)
        problems += self._schedule_problems(names)
        for problem in problems:
            self.stderr.write(f"  problem: {problem}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found.")
        self.stdout.write(self.style.SUCCESS("No problems found."))

    def do_tick(self, options: dict[str, Any]) -> None:
        """What Celery beat does, for deployments without Celery (cron, or ``--every``)."""
        interval = options["every"]
        if interval is not None and interval <= 0:
            raise CommandError("--every needs a positive number of seconds.")
        try:
            while True:
                done = engine.tick()
                # A one-off tick always reports; a ticker only when it did something, or at -v 2.
                if interval is None or done or options["verbosity"] >= 2:
                    self.stdout.write(f"Tick: {done} timer(s) fired or run(s) recovered.")
                if interval is None:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:  # Ctrl+C is how a foreground ticker is stopped
            self.stdout.write("Stopped ticking.")

    def do_schedules(self, options: dict[str, Any]) -> None:
        write_schedules(self.stdout.write)

    def _schedule_problems(self, names: list[str]) -> list[str]:
        sync_code_schedules()
        problems = schedule_problems()
        if names:
            problems = [text for text in problems if any(repr(name) in text or
                                                         f"'{name}:" in text for name in names)]
        self.stdout.write(f"Checked {Schedule.objects.count()} schedule(s).")
        return problems

    def _registry_problems(self, specs: list[WorkflowSpec]) -> list[str]:
        problems = []
        for spec in sorted(specs, key=lambda spec: spec.name):
            for edge in build_graph(spec).bad_targets():
                target = edge.target.lstrip("?")
                problems.append(f"workflow {spec.name!r}: step {edge.source!r} leads to "
                                f"{target!r}, which is not a step of this workflow")
            self._warn_traps(spec)
        self.stdout.write(f"Checked {len(specs)} registered workflow(s).")
        return problems

    def _warn_traps(self, spec: WorkflowSpec) -> None:
        """Shapes that run but mislead; a missing on_timeout step is a problem above already."""
        for finding in lint(spec):
            if finding.id != "django_ai.W051":
                self.stderr.write(f"  warning ({finding.id}): {finding}")

    def _run_problems(self, names: list[str]) -> list[str]:
        in_flight = WorkflowRun.objects.exclude(status__in=TERMINAL_STATUSES).order_by("pk")
        if names:
            in_flight = in_flight.filter(name__in=names)
        total = in_flight.count()
        problems: list[str] = []
        last_id, seen = 0, 0
        # Batches by primary key keep memory flat on a large table; progress goes to stderr.
        while seen < total:
            batch = list(in_flight.filter(pk__gt=last_id)[:_CHECK_BATCH])
            if not batch:
                break
            for run in batch:
                problems += problems_in_flight(run)
            problems += stranded_parents(batch)
            seen += len(batch)
            last_id = batch[-1].pk
            if total > _CHECK_BATCH:
                self.stderr.write(f"  checked {seen}/{total} runs in flight")
        self.stdout.write(f"Checked {total} run(s) in flight.")
        return problems
