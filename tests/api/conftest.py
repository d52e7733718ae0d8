import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.api import workflows_api  # noqa: F401  (registers the API test workflows)

API = "/api/workflows"


@pytest.fixture
def user(db):
    return User.objects.create_user("alice")


@pytest.fixture
def other_user(db):
    return User.objects.create_user("bob")


@pytest.fixture
def staff(db):
    return User.objects.create_user("carol", is_staff=True)


@pytest.fixture
def approver(user):
    user.groups.add(Group.objects.create(name="approvers"))
    return user


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api(user):
    return client_for(user)
