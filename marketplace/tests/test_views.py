"""Marketplace pages per persona; every owner-only URL tried by the outsider (404)."""

from __future__ import annotations

import io

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import BusinessProfile, ModelProfile
from marketplace import selectors
from marketplace.models import ConsentEvent, ConsentRequest, ConsentStatus, ReleaseSignature
from marketplace.tests.conftest import give_package, image_bytes

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- model journey -------------------------------------------------------------------------------


def test_model_uploads_three_photos_signs_and_approves_in_the_browser(
    client, model_mia, alice, django_capture_on_commit_callbacks
):
    client.force_login(model_mia)
    page = client.get(reverse("marketplace:likeness"))
    assert page.status_code == 200 and b"0 of the 3 photos" in page.content
    from marketplace.avatar_art import portrait_jpeg_bytes

    for index in range(3):
        response = client.post(
            reverse("marketplace:likeness"), {"photo": _upload(portrait_jpeg_bytes(index))}
        )
        assert response.status_code == 302
    assert len(ModelProfile.objects.get(user_id=model_mia.pk).reference_images) == 3

    release = selectors.current_release()
    page = client.get(reverse("marketplace:release"))
    assert release.title.encode() in page.content
    response = client.post(
        reverse("marketplace:release"),
        {
            "release_version": release.version,
            "text_sha256": release.text_sha256,
            "legal_name": "Mia Example",
            "agree": "on",
        },
        HTTP_USER_AGENT="Browser/1.0",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302
    signature = ReleaseSignature.objects.get(model_id=model_mia.pk)
    assert (signature.ip_address, signature.user_agent) == ("198.51.100.7", "Browser/1.0")

    # Alice sees Mia in the directory and asks.
    client.force_login(alice)
    directory = client.get(reverse("marketplace:directory"))
    assert b"Mia" in directory.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:consent-request", args=[model_mia.pk]),
            {"intended_use": "Spring collection on our web shop."},
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == [model_mia.email]
    consent = ConsentRequest.objects.get()

    # Mia approves from her inbox, limiting the categories.
    client.force_login(model_mia)
    inbox = client.get(reverse("marketplace:consent-inbox"))
    assert b"Alice Boutique" in inbox.content and b"Spring collection" in inbox.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:consent-approve", args=[consent.pk]),
            {"allowed_categories": ["top", "bottom"], "expires_on": ""},
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == [alice.email]

    # Alice sees the approval; a revocation shows at once.
    client.force_login(alice)
    page = client.get(reverse("marketplace:business-consents"))
    assert b"Approved" in page.content and b"Top, Bottom" in page.content
    client.force_login(model_mia)
    client.post(reverse("marketplace:consent-revoke", args=[consent.pk]))
    client.force_login(alice)
    page = client.get(reverse("marketplace:business-consent-detail", args=[consent.pk]))
    assert b"Revoked" in page.content
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=model_mia.pk) is None


def test_audit_trail_page_lists_every_event(client, approved, mia):
    client.force_login(mia)
    page = client.get(reverse("marketplace:audit-trail"))
    content = page.content.decode()
    for label in ("Requested", "Approved", "Release signed", "Reference photo added"):
        assert label in content
    assert (
        content.count('data-testid="trail-event"')
        == ConsentEvent.objects.filter(model_id=mia.pk).count()
    )


def test_business_sees_only_its_own_pairs_trail(client, approved, mia, bob):
    from marketplace import services

    other = services.consent_request(
        actor=bob, model_user_id=mia.pk, intended_use="Bob's use here."
    )
    client.force_login(bob)
    page = client.get(reverse("marketplace:business-consent-detail", args=[other.pk]))
    content = page.content.decode()
    assert content.count('data-testid="trail-event"') == 1  # bob's request only
    assert "Reference photo" not in content and "Release signed" not in content


# --- bad uploads through the page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"hello, I am text" * 50, "photo.jpg", "not a JPEG, PNG or WebP"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "x.svg", "not a JPEG, PNG or WebP"),
        (b"<html><body>hi</body></html>", "x.html", "not a JPEG, PNG or WebP"),
        (image_bytes(300, 300) + b"<script>alert(1)</script>", "p.jpg", "more than an image"),
        (image_bytes(1, 1, fmt="PNG"), "tiny.png", "at least 64 pixels"),
        (image_bytes(900, 900)[:3000], "cut.jpg", "damaged or incomplete"),
    ],
)
def test_bad_files_get_a_clear_message_and_write_nothing(
    client, model_mia, settings, data, name, expected
):
    client.force_login(model_mia)
    response = client.post(reverse("marketplace:likeness"), {"photo": _upload(data, name)})
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []
    assert not list(settings.MEDIA_ROOT.rglob("*.jpg"))


def test_a_fifth_photo_through_the_page_is_refused(client, mia):
    from marketplace import services
    from marketplace.avatar_art import portrait_jpeg_bytes

    services.reference_photo_add(actor=mia, upload=portrait_jpeg_bytes(3))
    client.force_login(mia)
    response = client.post(
        reverse("marketplace:likeness"), {"photo": _upload(portrait_jpeg_bytes(4))}
    )
    assert "already have 4" in response.content.decode()
    assert len(ModelProfile.objects.get(user_id=mia.pk).reference_images) == 4


def test_an_oversized_upload_is_cut_off_while_streaming(client, model_mia, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 200_000
    client.force_login(model_mia)
    big = image_bytes(64, 64) + b"\x00" * 400_000
    response = client.post(reverse("marketplace:likeness"), {"photo": _upload(big)})
    assert response.status_code == 302
    assert any("larger than" in m for m in _messages(response))
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []


class _LazyBody(io.RawIOBase):
    """A 100 MB multipart body generated on the fly; counts the bytes the server reads."""

    def __init__(self, head: bytes, size: int, tail: bytes) -> None:
        self.parts = [head, size, tail]
        self.position = 0
        self.total = len(head) + size + len(tail)
        self.consumed = 0
        self.head, self.size, self.tail = head, size, tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.total - self.consumed)
        out = bytearray()
        pos = self.consumed
        while len(out) < n:
            if pos < len(self.head):
                chunk = self.head[pos : pos + n - len(out)]
            elif pos < len(self.head) + self.size:
                chunk = b"\xab" * min(n - len(out), len(self.head) + self.size - pos)
            else:
                offset = pos - len(self.head) - self.size
                chunk = self.tail[offset : offset + n - len(out)]
            out += chunk
            pos += len(chunk)
        buffer[:n] = out
        self.consumed += n
        return n


def test_a_100_mb_upload_is_refused_without_reading_it_all(model_mia):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.handlers.wsgi import LimitedStream
    from django.test import RequestFactory

    from marketplace import views

    boundary = "BoUnDaRy"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = _LazyBody(head, 100 * 1024 * 1024, tail)
    request = RequestFactory().generic(
        "POST",
        reverse("marketplace:likeness"),
        data=b"-",  # non-empty so the factory sets the content type; the body is replaced
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    request.META["CONTENT_LENGTH"] = str(body.total)
    request._stream = LimitedStream(body, body.total)
    request.user = model_mia
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True

    response = views.likeness(request)

    assert response.status_code == 302
    assert any("larger than 15 MB" in str(m) for m in request._messages)
    assert body.consumed < 20 * 1024 * 1024  # stopped just past the 15 MB limit
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []


# --- business without human-model access ---------------------------------------------------------


def test_business_without_access_sees_what_the_upgrade_gives(client, business_bob, mia):
    client.force_login(business_bob)
    page = client.get(reverse("marketplace:directory"))
    assert page.status_code == 200
    assert b'data-testid="upgrade"' in page.content and b"Mia" not in page.content


def test_business_without_access_posting_the_request_url_directly_writes_nothing(
    client, business_bob, mia, starter_package
):
    give_package(business_bob, starter_package)
    client.force_login(business_bob)
    response = client.post(
        reverse("marketplace:consent-request", args=[mia.pk]),
        {"intended_use": "Trying to sneak past the paywall."},
    )
    assert response.status_code == 200
    assert b'data-testid="upgrade"' in response.content
    assert any("does not include human models" in m for m in _messages(response))
    assert not ConsentRequest.objects.exists()


def test_requesting_a_non_model_or_oneself_through_the_url_is_404(client, alice, business_bob):
    client.force_login(alice)
    for target in (business_bob.pk, alice.pk, "nonsense"):
        response = client.post(
            reverse("marketplace:consent-request", args=[target]),
            {"intended_use": "Not a model at all here."},
        )
        assert response.status_code == 404
    assert not ConsentRequest.objects.exists()


def test_replayed_request_post_gets_a_message_and_no_second_document(client, alice, mia):
    client.force_login(alice)
    url = reverse("marketplace:consent-request", args=[mia.pk])
    client.post(url, {"intended_use": "Spring collection on our web shop."})
    response = client.post(url, {"intended_use": "Spring collection on our web shop."})
    assert response.status_code == 302
    assert any("already asked" in m for m in _messages(response))
    assert ConsentRequest.objects.count() == 1


def test_replayed_approve_and_reject_posts_change_nothing(client, approved, mia):
    client.force_login(mia)
    before = ConsentRequest.objects.get(pk=approved.pk)
    response = client.post(
        reverse("marketplace:consent-approve", args=[approved.pk]),
        {"allowed_categories": ["lingerie"]},
    )
    assert any("no longer pending" in m for m in _messages(response))
    response = client.post(reverse("marketplace:consent-reject", args=[approved.pk]))
    assert any("no longer pending" in m for m in _messages(response))
    after = ConsentRequest.objects.get(pk=approved.pk)
    assert (after.status, after.allowed_categories, after.version) == (
        before.status,
        before.allowed_categories,
        before.version,
    )


def test_replayed_sign_post_keeps_one_signature(client, model_mia):
    release = selectors.current_release()
    client.force_login(model_mia)
    data = {
        "release_version": release.version,
        "text_sha256": release.text_sha256,
        "legal_name": "Mia Example",
        "agree": "on",
    }
    client.post(reverse("marketplace:release"), data)
    response = client.post(reverse("marketplace:release"), data)
    assert any("already signed" in m for m in _messages(response))
    assert ReleaseSignature.objects.filter(model_id=model_mia.pk).count() == 1


def test_signing_without_ticking_agree_is_refused(client, model_mia):
    release = selectors.current_release()
    client.force_login(model_mia)
    response = client.post(
        reverse("marketplace:release"),
        {
            "release_version": release.version,
            "text_sha256": release.text_sha256,
            "legal_name": "Mia Example",
        },
    )
    assert response.status_code == 200 and b"Tick the box" in response.content
    assert not ReleaseSignature.objects.exists()


def test_withdraw_page_suspends_approvals(client, approved, mia, alice):
    client.force_login(mia)
    client.post(reverse("marketplace:release-withdraw"))
    assert ModelProfile.objects.get(user_id=mia.pk).consent_signed is False
    client.force_login(alice)
    page = client.get(reverse("marketplace:business-consents"))
    assert b"suspended" in page.content


def test_the_directory_shows_when_a_rejected_business_may_ask_again(client, pending, mia, alice):
    """The 7-day wait is the service's rule; the directory shows it instead of offering
    a button the service would refuse (rules.request_window decides both)."""
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from marketplace import services

    services.consent_reject(actor=mia, consent_request_id=pending.pk)
    client.force_login(alice)
    request_url = reverse("marketplace:consent-request", args=[mia.pk]).encode()

    page = client.get(reverse("marketplace:directory")).content
    opens = (ConsentRequest.objects.get(pk=pending.pk).decided_at + timedelta(days=7)).date()
    assert request_url not in page
    assert b"You can ask again on " + f"{opens.day} {opens:%b %Y}".encode() in page

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        assert request_url in client.get(reverse("marketplace:directory")).content


# --- media ---------------------------------------------------------------------------------------


def test_model_sees_own_thumbnails_and_full_photos(client, mia):
    photo = selectors.reference_photos(model_user=mia)[0]
    client.force_login(mia)
    thumb = client.get(photo.thumbnail_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb["X-Content-Type-Options"] == "nosniff"
    assert client.get(photo.full_url).status_code == 200


def test_business_with_access_sees_directory_thumbnails_but_not_full_photos(client, alice, mia):
    photo = selectors.reference_photos(model_user=mia)[0]
    client.force_login(alice)
    assert client.get(photo.thumbnail_url).status_code == 200
    assert client.get(photo.full_url).status_code == 404


def test_business_without_access_gets_404_for_thumbnails(client, business_bob, mia):
    photo = selectors.reference_photos(model_user=mia)[0]
    client.force_login(business_bob)
    assert client.get(photo.thumbnail_url).status_code == 404


# --- the outsider tries everything -----------------------------------------------------------


@pytest.fixture
def mias_urls(approved, mia):
    return {"photo": selectors.reference_photos(model_user=mia)[0], "request": approved}


def _model_only_requests(ctx) -> list[tuple[str, str, dict]]:
    photo, request = ctx["photo"], ctx["request"]
    return [
        ("post", reverse("marketplace:likeness-delete", args=[photo.photo_id]), {}),
        (
            "post",
            reverse("marketplace:likeness-replace", args=[photo.photo_id]),
            {"photo": _upload(image_bytes())},
        ),
        ("get", reverse("marketplace:reference-full", args=[photo.photo_id]), {}),
        ("get", reverse("marketplace:consent-approve", args=[request.pk]), {}),
        (
            "post",
            reverse("marketplace:consent-approve", args=[request.pk]),
            {"allowed_categories": ["top"]},
        ),
        ("post", reverse("marketplace:consent-reject", args=[request.pk]), {}),
        ("post", reverse("marketplace:consent-revoke", args=[request.pk]), {}),
        ("get", reverse("marketplace:consent-limits", args=[request.pk]), {}),
        (
            "post",
            reverse("marketplace:consent-limits", args=[request.pk]),
            {"allowed_categories": ["lingerie"]},
        ),
    ]


def test_another_model_gets_404_on_every_consent_and_media_url(client, mias_urls, model_noah, mia):
    snapshot = (
        list(ConsentRequest.objects.values_list("status", "version", "allowed_categories")),
        ModelProfile.objects.get(user_id=mia.pk).reference_images,
    )
    client.force_login(model_noah)
    for method, url, data in _model_only_requests(mias_urls):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, url
    photo = mias_urls["photo"]
    assert client.get(photo.thumbnail_url).status_code == 404
    assert snapshot == (
        list(ConsentRequest.objects.values_list("status", "version", "allowed_categories")),
        ModelProfile.objects.get(user_id=mia.pk).reference_images,
    )


def test_businesses_and_admins_get_404_on_model_pages(client, mias_urls, alice, admin_ada):
    model_pages = [
        reverse("marketplace:likeness"),
        reverse("marketplace:release"),
        reverse("marketplace:consent-inbox"),
        reverse("marketplace:audit-trail"),
    ]
    for user in (alice, admin_ada):
        client.force_login(user)
        for url in model_pages:
            assert client.get(url).status_code == 404, (user, url)
        for method, url, data in _model_only_requests(mias_urls):
            assert getattr(client, method)(url, data).status_code == 404, (user, url)
        assert client.post(reverse("marketplace:release-withdraw")).status_code == 404
        response = client.post(
            reverse("marketplace:likeness-limits"), {"allowed_categories": ["top"]}
        )
        assert response.status_code == 404
    assert ConsentRequest.objects.get().status == ConsentStatus.APPROVED


def test_models_and_admins_get_404_on_business_pages(client, approved, mia, noah, admin_ada):
    for user in (mia, admin_ada):
        client.force_login(user)
        for url in (
            reverse("marketplace:directory"),
            reverse("marketplace:business-consents"),
            reverse("marketplace:business-consent-detail", args=[approved.pk]),
            reverse("marketplace:consent-request", args=[noah.pk]),
        ):
            assert client.get(url).status_code == 404, (user, url)
        response = client.post(
            reverse("marketplace:consent-request", args=[noah.pk]),
            {"intended_use": "A model cannot ask."},
        )
        assert response.status_code == 404
    assert ConsentRequest.objects.count() == 1


def test_another_business_gets_404_on_someone_elses_consent(client, approved, bob):
    client.force_login(bob)
    url = reverse("marketplace:business-consent-detail", args=[approved.pk])
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, approved, mia):
    photo = selectors.reference_photos(model_user=mia)[0]
    for url in (
        reverse("marketplace:likeness"),
        reverse("marketplace:directory"),
        reverse("marketplace:consent-inbox"),
        photo.thumbnail_url,
        photo.full_url,
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_pages_render_their_empty_states(client, model_noah, business_alice, human_package):
    client.force_login(model_noah)
    for name in ("likeness", "release", "consent-inbox", "audit-trail"):
        assert client.get(reverse(f"marketplace:{name}")).status_code == 200
    give_package(business_alice, human_package)
    client.force_login(business_alice)
    assert b"No models are listed yet" in client.get(reverse("marketplace:directory")).content
    assert b"You have not asked" in client.get(reverse("marketplace:business-consents")).content
    BusinessProfile.objects.filter(user_id=business_alice.pk).update(package=None)


def test_standing_limits_are_shown_before_asking_and_default_the_approval(client, mia, alice):
    client.force_login(mia)
    response = client.post(
        reverse("marketplace:likeness-limits"), {"allowed_categories": ["top", "swimwear"]}
    )
    assert response.status_code == 302
    client.force_login(alice)
    assert b"Accepts: Top, Swimwear" in client.get(reverse("marketplace:directory")).content
    page = client.get(reverse("marketplace:consent-request", args=[mia.pk]))
    assert b"Top, Swimwear" in page.content
    client.post(
        reverse("marketplace:consent-request", args=[mia.pk]),
        {"intended_use": "Swimwear campaign for summer."},
    )
    consent = ConsentRequest.objects.get()
    client.force_login(mia)
    form = client.get(reverse("marketplace:consent-approve", args=[consent.pk])).context["form"]
    assert form.initial["allowed_categories"] == ["top", "swimwear"]
    assert ConsentEvent.objects.filter(
        model_id=mia.pk, consent_request=None, new_value__defaultCategories=["top", "swimwear"]
    ).exists()


def test_standing_limits_need_at_least_one_category(client, mia):
    client.force_login(mia)
    response = client.post(reverse("marketplace:likeness-limits"), {"allowed_categories": []})
    assert any("at least one" in m for m in _messages(response))
    assert selectors.accepted_categories(model_user_id=mia.pk) == ["top", "bottom", "one-piece"]
    response = client.post(reverse("marketplace:likeness-limits"), {"allowed_categories": ["x"]})
    assert any("Choose garment" in m for m in _messages(response))


def test_model_changes_limits_and_expiry_of_an_approval(client, approved, mia):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(mia)
    url = reverse("marketplace:consent-limits", args=[approved.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Save limits" in page.content
    day = (timezone.now() + timedelta(days=60)).date()
    response = client.post(url, {"allowed_categories": ["top"], "expires_on": day.isoformat()})
    assert response.status_code == 302
    consent = ConsentRequest.objects.get(pk=approved.pk)
    assert consent.allowed_categories == ["top"] and consent.expires_at.date() == day
    # A past date is refused on the form, nothing changes.
    response = client.post(url, {"allowed_categories": ["bottom"], "expires_on": "2001-01-01"})
    assert response.status_code == 200 and b"must be in the future" in response.content
    assert ConsentRequest.objects.get(pk=approved.pk).allowed_categories == ["top"]


def test_upload_views_still_enforce_csrf(model_mia):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(model_mia)
    response = client.post(reverse("marketplace:likeness"), {"photo": _upload(image_bytes())})
    assert response.status_code == 403
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []
    page = client.get(reverse("marketplace:likeness"))
    token = page.cookies["csrftoken"].value
    from marketplace.avatar_art import portrait_jpeg_bytes

    response = client.post(
        reverse("marketplace:likeness"),
        {"photo": _upload(portrait_jpeg_bytes()), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert len(ModelProfile.objects.get(user_id=model_mia.pk).reference_images) == 1
