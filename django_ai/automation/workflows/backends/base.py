"""The delivery interface: how "run step S of run R" and "wake run R at T" leave the engine."""

from __future__ import annotations

from datetime import datetime


class Backend:
    """Hands work to whatever executes steps. Called only after the deciding commit."""

    #: True when ``deliver`` has executed the step by the time it returns.
    runs_inline: bool = False

    def deliver(self, run_id: int, step: str, seq: int) -> None:
        """Execute ``step`` of run ``run_id`` if the run is still at transition ``seq``."""
        raise NotImplementedError

    def deliver_many(self, deliveries: list[tuple[int, str, int]]) -> None:
        """Deliver many steps made runnable by one commit (a signal, ``start_many``).

        Backends with a per-message cost override this to batch; the default delivers each.
        """
        for delivery in deliveries:
            self.deliver(*delivery)

    def schedule_wake(self, run_id: int, at: datetime) -> None:
        """Optionally wake the run's timer near ``at``; the periodic task is the guarantee."""

    def after_api_call(self) -> None:
        """Called when a public engine call returns, outside the engine's own transaction."""
