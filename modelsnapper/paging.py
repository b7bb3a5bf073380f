"""One way to page a list: at most PAGE_SIZE rows, the other query parameters kept.

Every list a user or admin reaches goes through ``page_of`` so a page costs the
same with ten rows or ten thousand: the database counts and slices, and the
template's pager links keep filters and sort (everything but the page number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

PAGE_SIZE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """A page of rows plus what its pager links need."""

    page: Page
    rows: list[T]
    param: str  # the query parameter holding this list's page number
    query: str  # the other query parameters, urlencoded, for the pager links

    @property
    def has_other_pages(self) -> bool:
        return bool(self.page.has_other_pages())


def page_size(preferred: int = PAGE_SIZE) -> int:
    """Rows per page: ``preferred``, capped by settings.LIST_PAGE_SIZE (``make bench`` lowers
    it to its small size so both databases show a full page)."""
    return max(1, min(preferred, getattr(settings, "LIST_PAGE_SIZE", PAGE_SIZE), PAGE_SIZE))


def page_of(
    items: QuerySet[Any] | Sequence[Any],
    params: QueryDict,
    *,
    per_page: int | None = None,
    param: str = "page",
    count: int | None = None,
) -> Paged[Any]:
    """The page ``params[param]`` names (the last for a number too big, the first for junk).

    ``per_page``: rows per page, at most PAGE_SIZE (default: ``page_size()``).
    ``count``: the number of rows when the caller already knows it (saves a COUNT query).
    """
    per_page = page_size() if per_page is None else per_page
    if not 0 < per_page <= PAGE_SIZE:
        raise ValueError(f"per_page must be 1..{PAGE_SIZE}")
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    page = paginator.get_page(params.get(param))
    others = params.copy()
    others.pop(param, None)
    return Paged(page=page, rows=list(page.object_list), param=param, query=others.urlencode())


def bound_admin_changelists(site: AdminSite) -> None:
    """Every changelist of ``site`` shows at most PAGE_SIZE rows, "Show all" included.

    Applied to whatever is registered (ours, allauth's, the task backends', later
    ones), so a new ModelAdmin cannot bring back Django's 100 rows and its "Show all"
    of up to 200.
    """
    for model_admin in site._registry.values():
        # django-stubs types these as class variables; an instance attribute is what
        # ChangeList reads, and it leaves the ModelAdmin classes themselves alone.
        model_admin.list_per_page = min(model_admin.list_per_page, PAGE_SIZE)  # type: ignore[misc]
        model_admin.list_max_show_all = min(model_admin.list_max_show_all, PAGE_SIZE)  # type: ignore[misc]
