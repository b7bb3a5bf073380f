"""The model side: reject with an optional reason, the asking business's profile before
deciding, and the business never reading the model's misuse-report text."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from marketplace import services
from marketplace.models import ConsentEvent, ConsentEventType, ConsentStatus

pytestmark = pytest.mark.django_db


def test_a_reject_with_a_reason_reaches_the_business_in_words(
    client, pending, mia, alice, django_capture_on_commit_callbacks
):
    client.force_login(mia)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("marketplace:consent-reject", args=[pending.pk]),
            {"reason": "  I do not model swimwear.  "},
        )
    pending.refresh_from_db()
    assert pending.status == ConsentStatus.REJECTED
    event = ConsentEvent.objects.get(event_type=ConsentEventType.REJECTED)
    assert event.new_value["reason"] == "I do not model swimwear."
    assert "Their reason: I do not model swimwear." in mail.outbox[-1].body
    client.force_login(alice)
    page = client.get(reverse("marketplace:business-consent-detail", args=[pending.pk]))
    assert "Their reason: I do not model swimwear." in page.content.decode()


def test_a_reject_without_a_reason_still_works(client, pending, mia):
    client.force_login(mia)
    client.post(reverse("marketplace:consent-reject", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == ConsentStatus.REJECTED
    assert "reason" not in (
        ConsentEvent.objects.get(event_type=ConsentEventType.REJECTED).new_value
    )


def test_the_model_sees_who_is_asking_before_deciding(client, pending, mia):
    client.force_login(mia)
    page = client.get(reverse("marketplace:consent-approve", args=[pending.pk])).content.decode()
    assert 'data-testid="business-card"' in page
    assert "Alice Boutique" in page and "On ModelSnapper since" in page
    assert "Models who approved it" in page


def test_the_inbox_offers_an_optional_reason_beside_reject(client, pending, mia):
    client.force_login(mia)
    page = client.get(reverse("marketplace:consent-inbox")).content.decode()
    assert 'name="reason"' in page and "Reason (optional)" in page
    assert "About this business" in page


def test_the_business_never_reads_the_models_report_text(alice, mia):
    from marketplace.event_text import BUSINESS_REASON_WITHHELD, describe_events
    from marketplace.services.common import likeness_use_event_record

    request = services.consent_request(
        actor=alice, model_user_id=mia.pk, intended_use="Summer lookbook for our web shop."
    )
    event = likeness_use_event_record(
        model_user_id=mia.pk,
        business_user_id=alice.pk,
        consent_request_id=request.pk,
        generation_id="0" * 24,
        event_type=ConsentEventType.PHOTO_REPORTED,
        actor=mia,
        detail={"reason": "This is my face on a stranger."},
    )
    as_business = describe_events([event], viewer=alice)[0]
    as_model = describe_events([event], viewer=mia)[0]
    assert as_business.details == [BUSINESS_REASON_WITHHELD]
    assert as_model.details == ["Reason: This is my face on a stranger."]


def test_a_model_keeps_a_copy_of_the_signed_release(client, mia):
    client.force_login(mia)
    assert "Your signed copy" in client.get(reverse("marketplace:release")).content.decode()
    page = client.get(reverse("marketplace:release-copy"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Mia Example" in content and "Text fingerprint (SHA-256)" in content
    download = client.get(reverse("marketplace:release-copy"), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")


def test_no_copy_before_signing(client, model_noah):
    client.force_login(model_noah)
    assert client.get(reverse("marketplace:release-copy")).status_code == 404


def test_a_model_uploads_several_likeness_photos_at_once(client, model_mia):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import ModelProfile
    from marketplace.avatar_art import portrait_jpeg_bytes

    client.force_login(model_mia)
    photos = [
        SimpleUploadedFile(f"me-{i}.jpg", portrait_jpeg_bytes(i), "image/jpeg") for i in range(3)
    ]
    response = client.post(reverse("marketplace:likeness"), {"photo": photos}, follow=True)
    assert "3 photos added." in response.content.decode()
    assert len(ModelProfile.objects.get(user=model_mia).reference_images) == 3


def test_a_bad_file_among_several_keeps_the_good_ones_and_names_the_bad_one(client, model_mia):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import ModelProfile
    from marketplace.avatar_art import portrait_jpeg_bytes

    client.force_login(model_mia)
    photos = [
        SimpleUploadedFile("good.jpg", portrait_jpeg_bytes(), "image/jpeg"),
        SimpleUploadedFile("notes.jpg", b"not an image at all", "image/jpeg"),
    ]
    response = client.post(reverse("marketplace:likeness"), {"photo": photos})
    page = response.content.decode()
    assert "1 photo added." in [str(m) for m in response.context["messages"]]
    assert "notes.jpg:" in page
    assert len(ModelProfile.objects.get(user=model_mia).reference_images) == 1
