"""Rolling deploys: a delivery for a workflow or step this process does not know is handed back.

During a rolling update some processes run the old code and some the new. A process that meets
code it lacks puts the run back to wait (``wait_kind="code"``) and tries again with a growing
delay, so that the delivery reaches another process (or this one, updated). Only when no process
has known the code for ``UNKNOWN_CODE_GRACE_SECONDS`` does the run fail, with the error it would
have failed with at once before.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ....conf import ai_settings
from ..clock import now
from ..models import WaitKind, WorkflowRun
from .finishing import fail_run
from .state import bump, persist, wait_until

logger = logging.getLogger("django_ai.workflows")

FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=60)


def grace() -> timedelta:
    return timedelta(seconds=float(ai_settings()["UNKNOWN_CODE_GRACE_SECONDS"]))


def next_delay(waited: timedelta) -> timedelta:
    """1 s at first, then half of the time waited so far (about 1.5 times more each try),
    at most a minute."""
    return min(max(FIRST_DELAY, waited / 2), MAX_DELAY)


def reason(problem: str, since: datetime, deadline: datetime) -> str:
    return (f"{problem} Handed back (rolling deploy?): tried again until another process "
            f"knows it; since {since:%Y-%m-%d %H:%M:%S} UTC, the run fails if none does by "
            f"{deadline:%Y-%m-%d %H:%M:%S} UTC.")


def hand_back(run: WorkflowRun, problem: str, *, kind: str = WaitKind.CODE) -> None:
    """Wait and retry the delivery of ``run`` (locked) that met unknown code; fail it once the
    grace period is over. ``kind`` START keeps a planned start planned."""
    at = now()
    since = run.unknown_code_since or at
    deadline = since + grace()
    if at >= deadline:
        fail_run(run, None, f"{problem} No process knew it for {grace()} (since "
                            f"{since:%Y-%m-%d %H:%M:%S} UTC).")
        return
    bump(run)
    wait_until(run, kind, min(at + next_delay(at - since), deadline))
    run.unknown_code_since = since
    run.error = reason(problem, since, deadline)
    logger.warning("Run %s (%s): %s", run.pk, run.name, run.error)
    persist(run)


def clear(run: WorkflowRun) -> None:
    """This process knows the code: forget an earlier hand-back (saved with the outcome)."""
    if run.unknown_code_since is not None:
        run.unknown_code_since = None
        run.error = ""
