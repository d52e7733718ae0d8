"""``await engine.astart(...)`` and friends, for async Django views.

Each runs the synchronous method unchanged through ``sync_to_async(thread_sensitive=True)``:
the ORM, the transaction and the immediate backend's inline steps then run on the one thread
Django keeps for sync code, exactly as in a sync view, and the event loop stays free meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

if TYPE_CHECKING:
    from ..models import WorkflowRun


class AsyncEngineMethods:
    """Mixed into ``Engine``: async twins of start, signal, cancel and submit_action."""

    async def astart(self, workflow: Any, /, **kwargs: Any) -> WorkflowRun:
        """``engine.start`` for async code."""
        return await sync_to_async(self.start, thread_sensitive=True)(workflow, **kwargs)

    async def asignal(self, name: str, payload: dict[str, Any] | None = None, *,
                      run_id: int | None = None) -> int:
        """``engine.signal`` for async code."""
        return await sync_to_async(self.signal, thread_sensitive=True)(
            name, payload, run_id=run_id)

    async def acancel(self, run_id: int, reason: str | None = None) -> bool:
        """``engine.cancel`` for async code."""
        return await sync_to_async(self.cancel, thread_sensitive=True)(run_id, reason)

    async def asubmit_action(self, run_id: int, step_name: str,
                             fields: dict[str, Any]) -> WorkflowRun:
        """``engine.submit_action`` for async code."""
        return await sync_to_async(self.submit_action, thread_sensitive=True)(
            run_id, step_name, fields)

    # The sync methods, provided by Engine.
    start: Any
    signal: Any
    cancel: Any
    submit_action: Any
