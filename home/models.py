"""Pages an operator edits in the admin: terms, privacy, contact."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdPrimaryKey


class SitePageSlug(models.TextChoices):
    TERMS = "terms", "Terms of service"
    PRIVACY = "privacy", "Privacy notice"
    CONTACT = "contact", "Contact"


class SitePage(models.Model):
    """One public page's text. Until an operator saves one, a default text is shown.

    The body is plain text (paragraphs separated by blank lines): it is escaped when
    shown, so an admin cannot put script on a public page by accident.
    """

    id = ObjectIdPrimaryKey()
    slug = models.CharField(max_length=32, choices=SitePageSlug.choices, unique=True)
    title = models.CharField(max_length=120)
    body = models.TextField(
        max_length=20_000,
        help_text="Plain text. Separate paragraphs with a blank line; links are not clickable.",
    )
    updated_at = models.DateTimeField(default=timezone.now, db_column="updatedAt")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="updatedBy",
    )

    class Meta:
        db_table = "site_pages"
        ordering = ["slug"]
        verbose_name = "public page"

    def __str__(self) -> str:
        return self.get_slug_display()
