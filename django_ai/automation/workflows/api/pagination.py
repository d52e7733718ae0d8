"""Bounded responses: the run list and a run's history are always paginated.

The run list uses the project's ``REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]`` when it sets
one, with its page size; whatever that class leaves unbounded is bounded here. Without one it
is :class:`RunPagination`: pages of ``DJANGO_AI["API_PAGE_SIZE"]`` (50), ``?page=`` and
``?page_size=`` up to ``DJANGO_AI["API_MAX_PAGE_SIZE"]`` (500).
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import (
    BasePagination,
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
)
from rest_framework.settings import api_settings

from ....conf import ai_settings


def _sizes() -> tuple[int, int]:
    page = int(api_settings.PAGE_SIZE or ai_settings()["API_PAGE_SIZE"])
    return page, max(page, int(ai_settings()["API_MAX_PAGE_SIZE"]))


class RunPagination(PageNumberPagination):
    """``?page=2&page_size=100``; the page size is capped."""

    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self.page_size, self.max_page_size = _sizes()
        return super().paginate_queryset(queryset, request, view)


def _bounded(cls: type[BasePagination]) -> type[BasePagination]:
    """The project's pagination class with our bounds wherever it has none."""
    page, most = _sizes()
    attrs: dict[str, Any] = {"__module__": __name__}
    if issubclass(cls, LimitOffsetPagination):
        attrs["default_limit"] = cls.default_limit or page
        attrs["max_limit"] = cls.max_limit or most
    elif issubclass(cls, PageNumberPagination | CursorPagination):
        attrs["page_size"] = cls.page_size or page
        attrs["max_page_size"] = cls.max_page_size or most
        if issubclass(cls, CursorPagination):
            attrs["ordering"] = "-id"  # runs have no "created" field (the class default)
    else:
        return cls  # a custom class: the project decides its bounds
    return type(f"Bounded{cls.__name__}", (cls,), attrs)


def run_pagination_class() -> type[BasePagination]:
    configured = api_settings.DEFAULT_PAGINATION_CLASS
    return RunPagination if configured is None else _bounded(configured)


class HistoryPagination(RunPagination):
    """A run's step history, oldest first, a page at a time."""
