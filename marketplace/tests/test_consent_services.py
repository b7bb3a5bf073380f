"""Consent workflow through marketplace.services: arrays, status and trail agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile
from accounts.tests.factories import UserFactory
from marketplace import selectors, services
from marketplace.models import ConsentEvent, ConsentEventType, ConsentRequest, ConsentStatus
from marketplace.services import common as consent_steps
from marketplace.tests.conftest import give_package
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db


def _arrays(business, model) -> tuple[bool, bool]:
    model_profile = ModelProfile.objects.get(user_id=model.pk)
    business_profile = BusinessProfile.objects.get(user_id=business.pk)
    return (
        business.pk in model_profile.approved_businesses,
        model_profile.pk in business_profile.approved_models,
    )


def _trail(model) -> list[int]:
    return list(
        ConsentEvent.objects.filter(model_id=model.pk, consent_request__isnull=False)
        .order_by("created_at", "sequence")
        .values_list("event_type", flat=True)
    )


def _refused(code: str, fn, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- request ----------------------------------------------------------------------------------


@pytest.mark.sql_only(reason="checks the email waits for COMMIT; Mongo mode has no transaction")
def test_the_request_email_waits_for_the_commit(alice, mia, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.consent_request(
            actor=alice, model_user_id=mia.pk, intended_use="Autumn catalogue, web shop only."
        )
        assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[mia.email]]


def test_request_creates_one_pending_document_and_emails_the_model(
    alice, mia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.consent_request(
            actor=alice, model_user_id=mia.pk, intended_use="Autumn catalogue, web shop only."
        )
    assert request.status == ConsentStatus.PENDING
    assert request.intended_use == "Autumn catalogue, web shop only."
    assert _arrays(alice, mia) == (False, False)
    assert ConsentRequest.objects.filter(business_id=alice.pk, model_id=mia.pk).count() == 1
    assert [m.to for m in mail.outbox] == [[mia.email]]
    assert "Alice Boutique" in mail.outbox[0].subject
    assert _trail(mia) == [ConsentEventType.REQUESTED]


@pytest.mark.sql_only(reason="a rollback undoes the request; MongoDB's atomic() rolls nothing back")
@pytest.mark.django_db(transaction=True)
def test_no_email_when_the_transaction_rolls_back(business_alice, model_mia):
    from billing.models import Package
    from marketplace.tests.conftest import make_listed

    give_package(
        business_alice,
        Package.objects.create(
            stripe_price_id="p_h", name="H", ai_credits_granted=1, human_model_access=True
        ),
    )
    make_listed(model_mia)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.consent_request(
            actor=business_alice, model_user_id=model_mia.pk, intended_use="Rolled back use."
        )
        raise Boom
    assert mail.outbox == []
    assert not ConsentRequest.objects.exists()


def test_a_replayed_request_is_refused_and_writes_nothing(pending, alice, mia):
    error = _refused(
        "duplicate",
        services.consent_request,
        actor=alice,
        model_user_id=mia.pk,
        intended_use="Summer lookbook for our web shop.",
    )
    assert "waiting" in error.message
    assert ConsentRequest.objects.count() == 1
    assert ConsentEvent.objects.filter(event_type=ConsentEventType.REQUESTED).count() == 1


def test_requesting_from_oneself_is_refused(alice):
    _refused(
        "self",
        services.consent_request,
        actor=alice,
        model_user_id=alice.pk,
        intended_use="Using my own face please.",
    )
    assert not ConsentRequest.objects.exists()


def test_requesting_from_a_non_model_is_refused(alice, business_bob, admin_ada):
    for target in (business_bob, admin_ada):
        _refused(
            "not_model",
            services.consent_request,
            actor=alice,
            model_user_id=target.pk,
            intended_use="This is not a model at all.",
        )
    _refused(
        "not_model",
        services.consent_request,
        actor=alice,
        model_user_id="not-an-id",
        intended_use="Garbage id in the URL.",
    )
    assert not ConsentRequest.objects.exists()


def test_a_business_without_human_model_access_is_refused(business_bob, mia, starter_package):
    give_package(business_bob, starter_package)
    error = _refused(
        "no_access",
        services.consent_request,
        actor=business_bob,
        model_user_id=mia.pk,
        intended_use="We only bought the starter tier.",
    )
    assert "human models" in error.message
    assert not ConsentRequest.objects.exists()


def test_a_model_that_is_not_listed_cannot_be_asked(alice, model_noah):
    _refused(
        "not_listed",
        services.consent_request,
        actor=alice,
        model_user_id=model_noah.pk,
        intended_use="Noah has no photos yet.",
    )


def test_intended_use_is_required(alice, mia):
    _refused(
        "intended_use",
        services.consent_request,
        actor=alice,
        model_user_id=mia.pk,
        intended_use="   ",
    )
    assert not ConsentRequest.objects.exists()


def test_a_model_cannot_request_consent(mia, noah):
    _refused(
        "role",
        services.consent_request,
        actor=mia,
        model_user_id=noah.pk,
        intended_use="Models do not ask models.",
    )


# --- approve / reject / revoke -------------------------------------------------------------


def test_approve_adds_both_arrays_sets_limits_and_emails_the_business(
    pending, alice, mia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.consent_approve(
            actor=mia,
            consent_request_id=pending.pk,
            allowed_categories=["top", "swimwear"],
            expires_on=(timezone.now() + timedelta(days=30)).date(),
        )
    assert request.status == ConsentStatus.APPROVED
    assert request.allowed_categories == ["top", "swimwear"]
    assert request.expires_at > timezone.now() + timedelta(days=29)
    assert _arrays(alice, mia) == (True, True)
    assert [m.to for m in mail.outbox][-1] == [alice.email]
    assert "approved" in mail.outbox[-1].subject
    grant = selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk)
    assert grant is not None and grant.consent_request_id == pending.pk
    assert grant.release_version == 1
    assert selectors.consent_allows_category(grant, "top")
    assert not selectors.consent_allows_category(grant, "lingerie")


def test_approving_twice_is_refused_and_changes_nothing(approved, mia):
    before = ConsentRequest.objects.get(pk=approved.pk)
    _refused(
        "not_pending",
        services.consent_approve,
        actor=mia,
        consent_request_id=approved.pk,
        allowed_categories=["lingerie"],
    )
    after = ConsentRequest.objects.get(pk=approved.pk)
    assert after.allowed_categories == before.allowed_categories == ["top", "bottom"]
    assert after.version == before.version
    assert ConsentEvent.objects.filter(event_type=ConsentEventType.APPROVED).count() == 1


def test_another_model_cannot_approve_the_request(pending, noah, alice, mia):
    _refused(
        "not_found",
        services.consent_approve,
        actor=noah,
        consent_request_id=pending.pk,
        allowed_categories=["top"],
    )
    _refused("not_found", services.consent_reject, actor=noah, consent_request_id=pending.pk)
    assert ConsentRequest.objects.get(pk=pending.pk).status == ConsentStatus.PENDING
    assert _arrays(alice, mia) == (False, False)


def test_approve_needs_a_known_category_and_a_future_expiry(pending, mia):
    _refused(
        "category",
        services.consent_approve,
        actor=mia,
        consent_request_id=pending.pk,
        allowed_categories=[],
    )
    _refused(
        "category",
        services.consent_approve,
        actor=mia,
        consent_request_id=pending.pk,
        allowed_categories=["hats"],
    )
    _refused(
        "expiry",
        services.consent_approve,
        actor=mia,
        consent_request_id=pending.pk,
        allowed_categories=["top"],
        expires_on=(timezone.now() - timedelta(days=1)).date(),
    )
    assert ConsentRequest.objects.get(pk=pending.pk).status == ConsentStatus.PENDING


def test_approve_needs_a_signed_release(pending, mia):
    services.release_withdraw(actor=mia)
    _refused(
        "release",
        services.consent_approve,
        actor=mia,
        consent_request_id=pending.pk,
        allowed_categories=["top"],
    )


def test_reject_then_re_request_reuses_the_document_after_7_days(
    pending, alice, mia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_reject(actor=mia, consent_request_id=pending.pk)
    assert mail.outbox[-1].to == [alice.email]
    error = _refused(
        "cooldown",
        services.consent_request,
        actor=alice,
        model_user_id=mia.pk,
        intended_use="Please reconsider, thanks.",
    )
    assert "7 days" in error.message
    eight_days_ago = timezone.now() - timedelta(days=8)
    ConsentRequest.objects.filter(pk=pending.pk).update(
        requested_at=eight_days_ago, decided_at=eight_days_ago
    )
    again = services.consent_request(
        actor=alice, model_user_id=mia.pk, intended_use="Please reconsider, thanks."
    )
    assert again.pk == pending.pk
    assert again.status == ConsentStatus.PENDING
    assert ConsentRequest.objects.count() == 1
    assert _trail(mia) == [
        ConsentEventType.REQUESTED,
        ConsentEventType.REJECTED,
        ConsentEventType.REQUESTED,
    ]


def test_revoke_removes_both_arrays_at_once_and_emails_the_business(
    approved, alice, mia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_revoke(actor=mia, consent_request_id=approved.pk)
    assert ConsentRequest.objects.get(pk=approved.pk).status == ConsentStatus.REVOKED
    assert _arrays(alice, mia) == (False, False)
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk) is None
    assert "revoked" in mail.outbox[-1].subject
    _refused("not_approved", services.consent_revoke, actor=mia, consent_request_id=approved.pk)


def test_limits_change_is_logged_with_old_and_new(approved, mia):
    services.consent_limits_change(
        actor=mia, consent_request_id=approved.pk, allowed_categories=["top"]
    )
    event = ConsentEvent.objects.get(event_type=ConsentEventType.LIMITS_CHANGED)
    assert event.old_value["allowedCategories"] == ["top", "bottom"]
    assert event.new_value["allowedCategories"] == ["top"]
    # A replay of the same form changes nothing and logs nothing.
    services.consent_limits_change(
        actor=mia, consent_request_id=approved.pk, allowed_categories=["top"]
    )
    assert ConsentEvent.objects.filter(event_type=ConsentEventType.LIMITS_CHANGED).count() == 1


def test_two_businesses_approved_keep_both_in_the_array(alice, bob, mia):
    first = services.consent_request(actor=alice, model_user_id=mia.pk, intended_use="Alice's use.")
    second = services.consent_request(actor=bob, model_user_id=mia.pk, intended_use="Bob's usage.")
    services.consent_approve(actor=mia, consent_request_id=first.pk, allowed_categories=["top"])
    services.consent_approve(actor=mia, consent_request_id=second.pk, allowed_categories=["top"])
    profile = ModelProfile.objects.get(user_id=mia.pk)
    assert sorted(profile.approved_businesses) == sorted([alice.pk, bob.pk])
    services.consent_revoke(actor=mia, consent_request_id=first.pk)
    assert ModelProfile.objects.get(user_id=mia.pk).approved_businesses == [bob.pk]


# --- races ---------------------------------------------------------------------------------------


def test_approve_and_revoke_racing_end_consistent_with_both_in_the_trail(pending, alice, mia):
    """Deterministic interleaving of the worst case: approve has moved the status but
    not yet synced the arrays when revoke runs completely; approve then finishes."""
    now = timezone.now()
    # approve, step 1: the conditional status update (what consent_approve does first)
    version = consent_steps._transition(
        request=pending,
        expected=[ConsentStatus.PENDING],
        now=now,
        status=ConsentStatus.APPROVED,
        decided_at=now,
        allowed_categories=["top"],
    )
    consent_steps._event(
        model_id=mia.pk,
        business_id=alice.pk,
        request=pending,
        event_type=ConsentEventType.APPROVED,
        actor=mia,
        sequence=version,
    )
    # revoke runs to the end in between
    services.consent_revoke(actor=mia, consent_request_id=pending.pk)
    # approve, step 2: its array sync runs late, on a stale view of the world
    consent_steps._sync_membership(pending.pk)
    assert ConsentRequest.objects.get(pk=pending.pk).status == ConsentStatus.REVOKED
    assert _arrays(alice, mia) == (False, False)
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk) is None
    assert _trail(mia) == [
        ConsentEventType.REQUESTED,
        ConsentEventType.APPROVED,
        ConsentEventType.REVOKED,
    ]


def test_a_stale_approve_after_revoke_is_refused(approved, alice, mia):
    stale = ConsentRequest.objects.get(pk=approved.pk)
    services.consent_revoke(actor=mia, consent_request_id=approved.pk)
    # The stale object still says APPROVED/PENDING: the conditional update refuses it.
    assert (
        consent_steps._transition(
            request=stale,
            expected=[ConsentStatus.PENDING],
            now=timezone.now(),
            status=ConsentStatus.APPROVED,
        )
        is None
    )
    assert _arrays(alice, mia) == (False, False)


@pytest.mark.django_db(transaction=True)
def test_double_clicked_approve_in_threads_applies_once(business_alice, model_mia):
    import threading
    import time

    from django.db import OperationalError, connection

    from billing.models import Package
    from marketplace.tests.conftest import make_listed

    give_package(
        business_alice,
        Package.objects.create(
            stripe_price_id="p_t", name="H", ai_credits_granted=1, human_model_access=True
        ),
    )
    make_listed(model_mia)
    request = services.consent_request(
        actor=business_alice, model_user_id=model_mia.pk, intended_use="Threads racing."
    )
    results: list[str] = []

    def click() -> None:
        # In-memory SQLite shares one cache between threads and answers "table is
        # locked" instead of waiting: a locked click is retried, like a new request.
        try:
            for _ in range(200):
                try:
                    services.consent_approve(
                        actor=model_mia, consent_request_id=request.pk, allowed_categories=["top"]
                    )
                    results.append("ok")
                    return
                except DomainError as error:
                    results.append(error.code)
                    return
                except OperationalError:
                    time.sleep(0.01)
            results.append("gave up")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["not_pending", "not_pending", "not_pending", "ok"]
    assert ConsentEvent.objects.filter(event_type=ConsentEventType.APPROVED).count() == 1
    assert _arrays(business_alice, model_mia) == (True, True)


# --- release -------------------------------------------------------------------------------------


def test_release_withdraw_suspends_every_approval_at_once(approved, alice, mia):
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk)
    services.release_withdraw(actor=mia)
    assert ModelProfile.objects.get(user_id=mia.pk).consent_signed is False
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk) is None
    # The approval itself stands and comes back when the model signs again.
    assert ConsentRequest.objects.get(pk=approved.pk).status == ConsentStatus.APPROVED
    from marketplace.tests.conftest import sign_release

    sign_release(mia)
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk)
    types = list(
        ConsentEvent.objects.filter(model_id=mia.pk)
        .order_by("created_at")
        .values_list("event_type", flat=True)
    )
    assert types.count(ConsentEventType.RELEASE_SIGNED) == 2
    assert ConsentEventType.RELEASE_WITHDRAWN in types


def test_release_sign_records_version_hash_name_ip_and_agent(model_mia):
    from marketplace.models import ReleaseSignature

    release = selectors.current_release()
    services.release_sign(
        actor=model_mia,
        release_version=release.version,
        text_sha256=release.text_sha256,
        legal_name="  Mia   Example ",
        agreed=True,
        context=services.SignatureContext(ip_address="203.0.113.9", user_agent="UA/1.0"),
    )
    sig = ReleaseSignature.objects.get(model_id=model_mia.pk)
    assert (sig.release_version, sig.text_sha256, sig.legal_name) == (
        1,
        services.text_hash(release.text),
        "Mia Example",
    )
    assert (sig.ip_address, sig.user_agent) == ("203.0.113.9", "UA/1.0")
    assert ModelProfile.objects.get(user_id=model_mia.pk).consent_signed


def test_release_sign_refuses_a_replay_a_stale_text_and_a_missing_tick(model_mia):
    from marketplace.models import ReleaseSignature

    release = selectors.current_release()
    ctx = services.SignatureContext(ip_address=None, user_agent="")
    _refused(
        "agree",
        services.release_sign,
        actor=model_mia,
        release_version=1,
        text_sha256=release.text_sha256,
        legal_name="Mia",
        agreed=False,
        context=ctx,
    )
    _refused(
        "changed",
        services.release_sign,
        actor=model_mia,
        release_version=1,
        text_sha256="0" * 64,
        legal_name="Mia Example",
        agreed=True,
        context=ctx,
    )
    _refused(
        "name",
        services.release_sign,
        actor=model_mia,
        release_version=1,
        text_sha256=release.text_sha256,
        legal_name=" ",
        agreed=True,
        context=ctx,
    )
    assert not ReleaseSignature.objects.exists()
    services.release_sign(
        actor=model_mia,
        release_version=1,
        text_sha256=release.text_sha256,
        legal_name="Mia Example",
        agreed=True,
        context=ctx,
    )
    _refused(
        "duplicate",
        services.release_sign,
        actor=model_mia,
        release_version=1,
        text_sha256=release.text_sha256,
        legal_name="Mia Example",
        agreed=True,
        context=ctx,
    )
    assert ReleaseSignature.objects.count() == 1


def test_a_new_release_version_is_a_new_row_and_old_signatures_keep_their_text(
    model_mia, admin_ada
):
    from marketplace.tests.conftest import sign_release

    sign_release(model_mia)
    v2 = services.release_publish(actor=admin_ada, title="Release v2", text="New words.")
    assert v2.version == 2 and v2.text_sha256 == services.text_hash("New words.")
    assert selectors.current_release().version == 2
    state = selectors.release_state(model_user=model_mia)
    assert state.needs_new_signature and state.signature.release_version == 1
    # Signing v1 again is refused: the model must sign what is current.
    release_v1 = selectors.LikenessRelease.objects.get(version=1)
    _refused(
        "changed",
        services.release_sign,
        actor=model_mia,
        release_version=1,
        text_sha256=release_v1.text_sha256,
        legal_name="Mia Example",
        agreed=True,
        context=services.SignatureContext(ip_address=None, user_agent=""),
    )


# --- expiry --------------------------------------------------------------------------------------


def test_expired_consent_is_not_active_even_before_the_command_runs(approved, alice, mia):
    ConsentRequest.objects.filter(pk=approved.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk) is None


def test_expire_command_expires_and_prompts_a_week_before(
    alice, bob, mia, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    first = services.consent_request(actor=alice, model_user_id=mia.pk, intended_use="Alice's use.")
    second = services.consent_request(actor=bob, model_user_id=mia.pk, intended_use="Bob's usage.")
    services.consent_approve(
        actor=mia,
        consent_request_id=first.pk,
        allowed_categories=["top"],
        expires_on=(timezone.now() + timedelta(days=3)).date(),
    )
    services.consent_approve(
        actor=mia,
        consent_request_id=second.pk,
        allowed_categories=["top"],
        expires_on=(timezone.now() + timedelta(days=3)).date(),
    )
    ConsentRequest.objects.filter(pk=first.pk).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_consents", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ConsentRequest.objects.get(pk=first.pk).status == ConsentStatus.EXPIRED
    assert _arrays(alice, mia) == (False, False)
    assert ConsentRequest.objects.get(pk=second.pk).status == ConsentStatus.APPROVED
    assert ConsentRequest.objects.get(pk=second.pk).renewal_prompted_at is not None
    recipients = sorted(m.to[0] for m in mail.outbox)
    # expiry: alice + mia; renewal reminder: bob + mia
    assert recipients == sorted([alice.email, mia.email, bob.email, mia.email])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("expire_consents", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert mail.outbox == []  # running it again sends nothing new
    # After expiry the business may ask again at once.
    again = services.consent_request(
        actor=alice, model_user_id=mia.pk, intended_use="Renew it, please."
    )
    assert again.pk == first.pk and again.status == ConsentStatus.PENDING


# --- reference photos -----------------------------------------------------------------------------


def test_a_fifth_photo_is_refused_and_no_file_is_left_behind(model_mia, settings):
    from marketplace.avatar_art import portrait_jpeg_bytes

    for index in range(4):
        services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(index))
    files_before = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*.jpg"))
    error = _refused(
        "too_many", services.reference_photo_add, actor=model_mia, upload=portrait_jpeg_bytes(4)
    )
    assert "already have 4" in error.message
    assert len(ModelProfile.objects.get(user_id=model_mia.pk).reference_images) == 4
    assert sorted(p.name for p in settings.MEDIA_ROOT.rglob("*.jpg")) == files_before


def test_a_bad_file_writes_nothing(model_mia, settings):
    _refused("not_image", services.reference_photo_add, actor=model_mia, upload=b"not an image")
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []
    assert not list(settings.MEDIA_ROOT.rglob("*.jpg"))


def test_replace_and_delete_keep_the_list_and_files_in_step(
    model_mia, settings, django_capture_on_commit_callbacks
):
    from marketplace.avatar_art import portrait_jpeg_bytes

    keys = [
        services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(i))
        for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        new_key = services.reference_photo_replace(
            actor=model_mia, photo_id=selectors.photo_id_for(keys[1]), upload=portrait_jpeg_bytes(3)
        )
    stored = ModelProfile.objects.get(user_id=model_mia.pk).reference_images
    assert stored == [keys[0], new_key, keys[2]]
    assert not (settings.MEDIA_ROOT / keys[1]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.reference_photo_delete(actor=model_mia, photo_id=selectors.photo_id_for(keys[0]))
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == [new_key, keys[2]]
    assert not (settings.MEDIA_ROOT / keys[0]).exists()
    assert selectors.model_reference_image_key(model_user_id=model_mia.pk) == new_key


def test_deleting_below_three_photos_leaves_the_directory(alice, mia):
    assert [e.model_user_id for e in selectors.model_directory(business_user=alice)] == [mia.pk]
    photo = selectors.reference_photos(model_user=mia)[0]
    services.reference_photo_delete(actor=mia, photo_id=photo.photo_id)
    assert selectors.model_directory(business_user=alice) == []


def test_another_models_photo_id_is_not_found(mia, model_noah):
    photo = selectors.reference_photos(model_user=mia)[0]
    _refused(
        "not_found", services.reference_photo_delete, actor=model_noah, photo_id=photo.photo_id
    )
    assert len(ModelProfile.objects.get(user_id=mia.pk).reference_images) == 3


def test_the_wearer_picker_lists_only_active_grants(approved, alice, bob, mia):
    def picker(business_user):
        business = BusinessProfile.objects.get(user_id=business_user.pk)
        return selectors.approved_models_page(
            business_user=business_user, approved_profile_ids=list(business.approved_models)
        )

    models, total = picker(alice)
    assert [(m.model_user_id, m.name, m.allowed_categories) for m in models] == [
        (mia.pk, "Mia", ["top", "bottom"])
    ]
    assert total == 1
    assert models[0].thumbnail_url.endswith("/thumb/")
    assert picker(bob) == ([], 0)
    outsider = UserFactory()
    assert selectors.active_consent(business_user_id=outsider.pk, model_user_id=mia.pk) is None


def test_reconcile_repairs_arrays_left_behind_by_a_crash(approved, alice, mia):
    # Simulate a crash after the status update but before the array sync.
    ConsentRequest.objects.filter(pk=approved.pk).update(status=ConsentStatus.REVOKED)
    assert _arrays(alice, mia) == (True, True)
    # Fails closed meanwhile: the status says no.
    assert selectors.active_consent(business_user_id=alice.pk, model_user_id=mia.pk) is None
    assert services.consents_reconcile() == 1
    assert _arrays(alice, mia) == (False, False)
    assert services.consents_reconcile() == 0
