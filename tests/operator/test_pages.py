"""The operator pages through Django's test client: staff only, and what they contain."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from django_ai.automation.workflows import registry
from django_ai.automation.workflows.management.graph import build_graph
from django_ai.automation.workflows.models import WorkflowRun
from django_ai.automation.workflows.observe.graph_dot import RunPath, to_dot
from tests.testapp import observed_workflows  # noqa: F401  (registers the ops_* workflows)

DASHBOARD = "admin:django_ai_workflows_workflowdashboard_changelist"
GRAPHS = "admin:django_ai_workflows_workflowgraph_changelist"


def graph_url(name):
    return reverse("admin:django_ai_workflows_workflowgraph_graph", args=[name])


def run_url(run):
    return reverse("admin:django_ai_workflows_workflowrun_change", args=[run.pk])


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


@pytest.fixture
def staff_without_permission(client, db):
    client.force_login(User.objects.create_user("intern", is_staff=True))
    return client


def test_run_page_shows_graph_source_and_timeline(staff, order_run):
    response = staff.get(run_url(order_run))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="dai-timeline"' in page and 'data-step="validate"' in page
    assert 'id="dai-run-graph"' in page  # the DOT source the page draws
    assert "viz-global.js" in page
    assert reverse("django_ai_workflows:run-timeline", args=[order_run.pk]) in page


def test_run_path_and_current_step_in_the_dot(order_run):
    from django_ai.automation.workflows.observe.admin import run_graph_dot

    dot = run_graph_dot(order_run)
    assert 'id="step-wait_approval", class="step current"' in dot
    assert 'class="step visited"' in dot  # receive, validate, ...
    assert '"validate" -> "charge" [color="#205067", penwidth="2.5", class="taken"]' in dot
    assert 'label="timeout 2d"' in dot
    assert 'label="subflow OpsPayment"' in dot and '"@on_fail release_stock"' in dot


def test_thirty_steps_graph_has_every_step_and_branch():
    spec = registry.get("ops_thirty_steps")
    dot = to_dot(build_graph(spec), RunPath(steps=["s01", "s02"], current="s03"))
    for index in range(1, 31):
        assert f'id="step-s{index:02d}"' in dot
    assert '"s12" -> "s29" [label="timeout 4h", style="dashed"]' in dot
    assert '"s08" -> "s04"' in dot


def test_workflow_graph_pages(staff):
    listing = staff.get(reverse(GRAPHS))
    assert listing.status_code == 200
    assert graph_url("ops_order") in listing.content.decode()
    page = staff.get(graph_url("ops_order"))
    assert page.status_code == 200 and 'id="dai-workflow-graph"' in page.content.decode()
    assert staff.get(graph_url("no_such_workflow")).status_code == 404


def test_dashboard_page(staff, order_run):
    response = staff.get(reverse(DASHBOARD))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="chart-runs"' in page and "chart.umd.min.js" in page
    assert f"#{order_run.pk}" in page  # among the oldest waiting runs
    assert response.context["figures"]["oldest_waiting"][0]["id"] == order_run.pk


def test_admin_index_links_the_operator_pages(staff):
    page = staff.get(reverse("admin:index")).content.decode()
    assert reverse(DASHBOARD) in page and reverse(GRAPHS) in page


@pytest.mark.parametrize("name", [DASHBOARD, GRAPHS])
def test_pages_need_staff(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(User.objects.create_user("customer"))
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_staff_need_the_view_runs_permission(staff_without_permission, order_run):
    client = staff_without_permission
    assert client.get(reverse(DASHBOARD)).status_code == 403
    assert client.get(graph_url("ops_order")).status_code == 403
    user = User.objects.get(username="intern")
    user.user_permissions.add(Permission.objects.get(codename="view_workflowrun"))
    assert client.get(reverse(DASHBOARD)).status_code == 200
    assert client.get(run_url(order_run)).status_code == 200


def test_timeline_api_has_run_detail_permissions(client, order_run):
    url = reverse("django_ai_workflows:run-timeline", args=[order_run.pk])
    assert client.get(url).status_code in (401, 403)
    client.force_login(User.objects.create_user("viewer"))
    assert client.get(url).status_code == 404  # another user's run, as for its detail
    client.force_login(User.objects.create_user("operator", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert [row["step"] for row in body["rows"]][:2] == ["receive", "validate"]
    assert body["rows"][1]["segments"][1]["kind"] == "retry"
    missing = reverse("django_ai_workflows:run-timeline", args=[WorkflowRun.objects.count() + 99])
    assert client.get(missing).status_code == 404


def test_timeline_api_serves_a_users_own_run(client, tm):
    from django_ai.automation.workflows.core import engine

    owner = User.objects.create_user("owner")
    run = engine.start("ops_order", order_id=5, validate_failures=0, started_by=owner)
    client.force_login(owner)
    response = client.get(reverse("django_ai_workflows:run-timeline", args=[run.pk]))
    assert response.status_code == 200
    assert response.json()["run"]["id"] == run.pk
