"""Two simultaneous submissions for one suspended action step: exactly one advances the run."""

import threading

import pytest
from django.db import connection

from django_ai.automation.workflows.core import engine
from django_ai.automation.workflows.models import WorkflowStatus
from tests.api.conftest import API, client_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL row locks (set DATABASE_URL to PostgreSQL)"),
]


def _race(run_id, user, path):
    barrier = threading.Barrier(2)
    answers = []

    def post(label):
        client = client_for(user)
        barrier.wait()
        try:
            response = client.post(path, {"workflow_run_id": run_id, "label": label},
                                   format="json")
            answers.append((response.status_code, label, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(label,)) for label in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(answers, key=lambda answer: answer[0])


@pytest.mark.parametrize("path", [f"{API}/actions/slow_submit/",
                                  "/statezero/actions/slow_submit/"])
def test_exactly_one_of_two_simultaneous_submissions_advances(transactional_db, path):
    # /statezero/ is StateZero's view where it is installed, the package's fallback elsewhere.
    from django.contrib.auth.models import User

    user = User.objects.create_user("racer")
    run = engine.start("slow_action", started_by=user)
    assert run.status == WorkflowStatus.SUSPENDED

    answers = _race(run.pk, user, path)

    assert [code for code, _, _ in answers] == [200, 409]
    winner, loser = answers[0][1], answers[1]
    run.refresh_from_db()
    assert run.status == WorkflowStatus.COMPLETED
    assert run.data == {"labels": [winner]}
    assert list(run.step_executions.values_list("step_name", flat=True)) == ["slow"]
    assert "completed" in str(loser[2])
