"""Writes owned by the top app: the operator-edited public pages."""

from __future__ import annotations

import logging

from django.utils import timezone

from accounts.models import User
from home.models import SitePage, SitePageSlug

logger = logging.getLogger(__name__)


def site_page_save(*, slug: str, title: str, body: str, actor: User | None) -> SitePage:
    """Create or replace one public page's text; logged with who changed it."""
    slug = SitePageSlug(slug).value
    page = SitePage.objects.filter(slug=slug).first() or SitePage(slug=slug)
    page.title = title.strip()
    page.body = body.strip()
    page.updated_at = timezone.now()
    page.updated_by = actor
    page.full_clean()
    page.save()
    logger.info(
        "site page %s saved by %s", slug, actor.email if actor is not None else "the system"
    )
    return page
