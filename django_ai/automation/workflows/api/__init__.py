"""The package's own REST API for workflow runs and action steps (Django REST framework).

Mount it with ``path("api/workflows/", include("django_ai.automation.workflows.api.urls"))``.
"""
