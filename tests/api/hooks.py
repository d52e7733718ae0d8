"""A RUN_VISIBILITY_HOOK for the tests: users see the runs whose Context names them."""


def own_runs(queryset, request):
    if request.user.is_staff:
        return queryset
    return queryset.filter(data__owner=request.user.username)


def not_a_queryset(queryset, request):
    return list(queryset)


def nothing(queryset, request):
    return queryset.none()


def own_or_named(queryset, request):
    """Builds on the default rule: a user's own runs plus those whose Context names them."""
    from django_ai.automation.workflows.api.permissions import default_visibility

    named = queryset.filter(data__owner=request.user.username)
    return default_visibility(queryset, request) | named


def started_by_me(queryset, request):
    """Narrower than the default: staff too see only the runs they started."""
    return queryset.filter(started_by=request.user)


def broken(queryset, request):
    raise RuntimeError("hook exploded")
