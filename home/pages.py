"""The default text of the public pages, shown until an operator saves their own."""

from __future__ import annotations

from home.models import SitePageSlug

DEFAULT_PAGES: dict[str, tuple[str, str]] = {
    SitePageSlug.TERMS: (
        "Terms of service",
        "ModelSnapper lets businesses turn product photos into on-model photos, worn by a stock "
        "AI avatar or by a real model who approved that business.\n\n"
        "Businesses buy credit packages; one credit makes one photo, and a photo that fails or is "
        "refused gives its credit back. A business may only use a real model's likeness within "
        "the consent that model gave: the garment categories, the intended use and the end date "
        "they approved. A model can revoke consent at any time; from then on no new photo is "
        "made and queued photos are cancelled and refunded.\n\n"
        "Models sign a likeness release before any business can ask them. Each photo made with "
        "their likeness earns them a $1.00 royalty, listed on their royalty ledger.\n\n"
        "Every image carries Content Credentials saying it is AI-generated. Do not remove them "
        "or present an image as an unedited photograph.\n\n"
        "The operator of this site may change these terms; the date below shows the last change.",
    ),
    SitePageSlug.PRIVACY: (
        "Privacy notice",
        "We keep what the service needs: your email address, your business or display name, the "
        "photos you upload and the photos made from them, and the record of every consent "
        "decision.\n\n"
        "Photos are private: they are served only to the business that made them, to the model "
        "whose likeness they use, and to administrators reviewing a report. Likeness photos are "
        "shown only to businesses the model approved.\n\n"
        "Payments are handled by Stripe; we never see card numbers. Emails about consent and "
        "your account are sent to the address you signed up with.\n\n"
        "To have your account and photos deleted, write to us through the contact page.",
    ),
    SitePageSlug.CONTACT: (
        "Contact",
        "Questions about your account, a consent, a royalty or an image you think was misused: "
        "write to the team that runs this site. If you are a model and a photo uses your "
        "likeness wrongly, report it from the photo's page: the business cannot download it "
        "until an administrator has looked at it.",
    ),
}
