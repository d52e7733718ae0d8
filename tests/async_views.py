"""Async views driving runs through ``await engine.astart(...)`` and friends (tests/urls.py)."""

import json

from django.http import HttpRequest, JsonResponse

from django_ai.automation.workflows.core import acancel, asignal, astart, asubmit_action, engine


async def start_review(request: HttpRequest) -> JsonResponse:
    run = await engine.astart("sample_review")
    return JsonResponse({"id": run.pk, "status": run.status})


async def send_review(request: HttpRequest, run_id: int) -> JsonResponse:
    resumed = await asignal("review_completed", json.loads(request.body), run_id=run_id)
    return JsonResponse({"resumed": resumed})


async def cancel_run(request: HttpRequest, run_id: int) -> JsonResponse:
    return JsonResponse({"cancelled": await acancel(run_id, "Cancelled from an async view")})


async def start_expense(request: HttpRequest) -> JsonResponse:
    run = await astart("api_expense_approval")
    return JsonResponse({"id": run.pk, "status": run.status})


async def submit_review(request: HttpRequest, run_id: int) -> JsonResponse:
    run = await asubmit_action(run_id, "await_review", json.loads(request.body))
    return JsonResponse({"status": run.status,
                         "display": run.completion_display})
