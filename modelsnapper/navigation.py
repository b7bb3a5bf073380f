"""Per-role navigation. Entries whose URL does not exist (yet) are skipped."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

# (url name, label) per role, in display order.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "BUSINESS": [
        ("home:dashboard", "Dashboard"),
        ("generations:new", "New photos"),
        ("generations:history", "History"),
        ("marketplace:directory", "Models"),
        ("marketplace:business-consents", "Consents"),
        ("billing:packages", "Credits"),
        ("billing:invoices", "Invoices"),
        ("generations:verify", "Verify"),
    ],
    "MODEL": [
        ("home:dashboard", "Dashboard"),
        ("marketplace:likeness", "Likeness photos"),
        ("marketplace:release", "Release"),
        ("marketplace:consent-inbox", "Consent inbox"),
        ("generations:royalties", "Royalties"),
        ("payouts:page", "Payouts"),
        ("marketplace:audit-trail", "Audit trail"),
        ("generations:verify", "Verify"),
    ],
    "ADMIN": [
        ("home:dashboard", "Dashboard"),
        ("admin:index", "Django admin"),
        ("generations:verify", "Verify"),
    ],
}


def navigation_for(role: str | None, current_path: str) -> list[dict[str, object]]:
    items = []
    for url_name, label in NAVIGATION.get(role or "", []):
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = current_path == url or (url != "/" and current_path.startswith(url))
        items.append({"url": url, "label": label, "active": active})
    return items
