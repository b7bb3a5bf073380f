"""`manage.py benchmark`: how the hot paths scale, as ratios within one run.

Runs in a throwaway test database (like the test runner), never the real one.
Each row compares the same operation at a small and a large data size (or
against a baseline) in the same process, so the ratio — not the absolute time,
which depends on the machine — is what to read. A ratio near 1.0 means the cost
does not grow with the data; query counts must not grow at all.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django.utils import timezone
from PIL import Image, ImageDraw

SMALL, LARGE = 20, 2000


def _timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _queries(fn: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


class Command(BaseCommand):
    help = "Measures how pages and services scale with data size (ratios within one run)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15, help="timed runs per measurement")

    def handle(self, *args, repeat: int, **options):
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            rows = [
                *self._history_page(repeat),
                *self._royalty_page(repeat),
                *self._wearer_picker(repeat),
                self._consent_lookup(repeat),
                self._credit_spend(repeat),
                self._offline_engine(max(3, repeat // 5)),
            ]
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(
            f"{'measurement':<46}{'small':>11}{'large':>11}{'ratio':>8}  queries small/large"
        )
        for name, small, large, queries in rows:
            ratio = large / small if small else float("nan")
            self.stdout.write(
                f"{name:<46}{small * 1000:>9.2f}ms{large * 1000:>9.2f}ms{ratio:>8.2f}  {queries}"
            )

    # --- data -------------------------------------------------------------------------
    def _business(self, email: str):
        from accounts.models import Role, User
        from accounts.services import profile_onboard

        user = User.objects.create_user(email=email, password=None, role=Role.BUSINESS)
        profile_onboard(user=user, name=email.split("@")[0])
        return user

    def _model(self, email: str):
        from accounts.models import Role, User
        from accounts.services import profile_onboard

        user = User.objects.create_user(email=email, password=None, role=Role.MODEL)
        profile_onboard(user=user, name=email.split("@")[0])
        return user

    def _generations(self, *, business, model, count: int) -> None:
        from generations.models import Generation, GenerationStatus, ModelType

        now = timezone.now()
        Generation.objects.bulk_create(
            Generation(
                user=business,
                model=model,
                model_type=ModelType.HUMAN_MODEL if model else ModelType.AI_AVATAR,
                status=GenerationStatus.SUCCEEDED,
                royalty_paid="1.00" if model else "0.00",
                generated_at=now - timedelta(minutes=i),
                garment_category="top",
            )
            for i in range(count)
        )

    # --- measurements --------------------------------------------------------------------
    def _page(self, user, url: str, repeat: int) -> tuple[float, int]:
        client = Client()
        client.force_login(user)

        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return _timed(get, repeat), _queries(get)

    def _history_page(self, repeat: int):
        small_user = self._business("history-small@bench.test")
        large_user = self._business("history-large@bench.test")
        self._generations(business=small_user, model=None, count=SMALL)
        self._generations(business=large_user, model=None, count=LARGE)
        small, small_q = self._page(small_user, "/generations/history/", repeat)
        large, large_q = self._page(large_user, "/generations/history/", repeat)
        return [
            (f"history page, {SMALL} vs {LARGE} generations", small, large, f"{small_q}/{large_q}")
        ]

    def _royalty_page(self, repeat: int):
        business = self._business("royalty-business@bench.test")
        small_model = self._model("royalty-small@bench.test")
        large_model = self._model("royalty-large@bench.test")
        self._generations(business=business, model=small_model, count=SMALL)
        self._generations(business=business, model=large_model, count=LARGE)
        small, small_q = self._page(small_model, "/generations/royalties/", repeat)
        large, large_q = self._page(large_model, "/generations/royalties/", repeat)
        return [(f"royalties page, {SMALL} vs {LARGE} uses", small, large, f"{small_q}/{large_q}")]

    def _approving_models(self, business, count: int, tag: str) -> None:
        """``count`` models who approved ``business``, written in bulk to the rows the
        consent services keep (request APPROVED, both whitelists, release signed)."""
        from accounts.models import BusinessProfile, ModelProfile, Role, User
        from marketplace.models import ConsentRequest, ConsentStatus

        users = User.objects.bulk_create(
            User(email=f"{tag}-{i}@bench.test", role=Role.MODEL) for i in range(count)
        )
        profiles = ModelProfile.objects.bulk_create(
            ModelProfile(
                user=user,
                name=f"Model {i:05d}",
                consent_signed=True,
                approved_businesses=[business.pk],
                reference_images=[f"likeness/bench/{i:032x}.jpg"],
            )
            for i, user in enumerate(users)
        )
        ConsentRequest.objects.bulk_create(
            ConsentRequest(
                business=business,
                model=user,
                status=ConsentStatus.APPROVED,
                allowed_categories=["top"],
            )
            for user in users
        )
        BusinessProfile.objects.filter(user_id=business.pk).update(
            approved_models=[profile.pk for profile in profiles]
        )

    def _wearer_picker(self, repeat: int):
        from accounts.models import BusinessProfile
        from billing.models import Package

        package = Package.objects.create(
            stripe_price_id="price_bench_picker",
            name="Bench",
            ai_credits_granted=1,
            human_model_access=True,
        )
        small_user = self._business("picker-small@bench.test")
        large_user = self._business("picker-large@bench.test")
        BusinessProfile.objects.filter(user_id__in=[small_user.pk, large_user.pk]).update(
            package=package
        )
        self._approving_models(small_user, SMALL, "picker-small")
        self._approving_models(large_user, LARGE, "picker-large")
        small, small_q = self._page(small_user, "/generations/new/", repeat)
        large, large_q = self._page(large_user, "/generations/new/", repeat)
        searched, searched_q = self._page(large_user, "/generations/new/?q=01234", repeat)
        return [
            (
                f"new photos picker, {SMALL} vs {LARGE} approving models",
                small,
                large,
                f"{small_q}/{large_q}",
            ),
            (f"picker search by name, {LARGE} models", small, searched, f"{small_q}/{searched_q}"),
        ]

    def _consent_lookup(self, repeat: int):
        from accounts.models import ModelProfile, Role, User
        from marketplace.models import ConsentRequest, ConsentStatus
        from marketplace.selectors import active_consent

        model = self._model("consent-model@bench.test")
        probe = self._business("consent-probe@bench.test")
        ConsentRequest.objects.create(business=probe, model=model, status=ConsentStatus.APPROVED)
        ModelProfile.objects.filter(user=model).update(
            consent_signed=True, approved_businesses=[probe.pk]
        )

        def lookup():
            return active_consent(business_user_id=probe.pk, model_user_id=model.pk)

        small = _timed(lookup, repeat * 10)
        small_q = _queries(lookup)
        others = User.objects.bulk_create(
            User(email=f"consent-{i}@bench.test", role=Role.BUSINESS) for i in range(LARGE)
        )
        ConsentRequest.objects.bulk_create(
            ConsentRequest(business=other, model=model, status=ConsentStatus.APPROVED)
            for other in others
        )
        ModelProfile.objects.filter(user=model).update(
            approved_businesses=[probe.pk, *(other.pk for other in others)]
        )
        large = _timed(lookup, repeat * 10)
        large_q = _queries(lookup)
        return (
            f"consent lookup, 1 vs {LARGE + 1} approvals",
            small,
            large,
            f"{small_q}/{large_q}",
        )

    def _credit_spend(self, repeat: int):
        """A guarded spend with its ledger row vs the bare conditional update."""
        from accounts.models import BusinessProfile
        from billing.services import credits_grant, credits_spend

        user = self._business("spend@bench.test")
        business = BusinessProfile.objects.get(user=user)
        credits_grant(business=business, amount=10_000, key="grant:benchmark")
        counter = iter(range(10**9))

        def bare():
            BusinessProfile.objects.filter(pk=business.pk, ai_credits__gte=1).update(
                ai_credits=F("ai_credits") - 1
            )
            BusinessProfile.objects.filter(pk=business.pk).update(ai_credits=F("ai_credits") + 1)

        def spend():
            credits_spend(business=business, amount=1, key=f"spend:benchmark-{next(counter)}")

        baseline = _timed(bare, repeat * 10)
        service = _timed(spend, repeat * 10)
        return ("credits_spend vs bare conditional update", baseline, service, f"{_queries(spend)}")

    def _offline_engine(self, repeat: int):
        from generations.engines import EngineRequest, get_engine
        from marketplace.avatar_art import DEMO_AVATARS, avatar_jpeg_bytes

        wearer = avatar_jpeg_bytes(DEMO_AVATARS[0])
        engine = get_engine("offline")

        def garment(side: int) -> bytes:
            image = Image.new("RGB", (side, side), (250, 250, 248))
            draw = ImageDraw.Draw(image)
            s = side / 512
            draw.polygon(
                [
                    (130 * s, 90 * s),
                    (382 * s, 90 * s),
                    (450 * s, 200 * s),
                    (380 * s, 230 * s),
                    (370 * s, 460 * s),
                    (142 * s, 460 * s),
                    (132 * s, 230 * s),
                    (62 * s, 200 * s),
                ],
                fill=(180, 40, 60),
            )
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=90)
            return buffer.getvalue()

        small_input, large_input = garment(512), garment(2048)

        def run(data: bytes) -> Callable[[], object]:
            return lambda: engine.generate(
                EngineRequest(
                    generation_id="0" * 24, garment_jpeg=data, wearer_jpeg=wearer, category="top"
                )
            )

        return (
            "offline engine, 512 px vs 2048 px garment",
            _timed(run(small_input), repeat),
            _timed(run(large_input), repeat),
            "-",
        )
