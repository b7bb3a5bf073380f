"""The first likeness release text, seeded by migration 0003 (admins publish later
versions from the Django admin; a new version never edits an old one)."""

from __future__ import annotations

RELEASE_V1_TITLE = "ModelSnapper Likeness Release, version 1"

RELEASE_V1_TEXT = """\
1. What this release covers. I allow ModelSnapper to store the reference photos I upload \
and to use them to create on-model product photos ("generations") that show my likeness \
wearing garments supplied by businesses.

2. Only businesses I approve. My likeness is used only for a business I have approved \
individually in my consent inbox, only while that approval stands (it has not been \
revoked or expired), and only for the garment categories I allowed for that business.

3. Revocation. I can revoke any approval at any time, and I can withdraw this release at \
any time. Revocation or withdrawal takes effect at once for new and queued generations. \
Photos created before that remain with the business that created them.

4. Royalty. Every generation that uses my likeness credits me a royalty of USD 1.00, \
recorded line by line in my royalty ledger.

5. Records. ModelSnapper keeps an audit trail of every request, approval, rejection, \
revocation, expiry, change of limits, signature and withdrawal, with who acted and when. \
I can see my whole trail at any time.

6. Identity. I confirm that the reference photos show me, that I am at least 18 years \
old, and that I have the right to grant this release.

By typing my full legal name and ticking the agreement box, I sign this release \
electronically and agree that my electronic signature is as valid as a handwritten one.
"""
