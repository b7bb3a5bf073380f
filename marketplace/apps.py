from datetime import timedelta

from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        from marketplace.services import consents_daily_sweep
        from modelsnapper import scheduler

        # Daily at 03:00 UTC: expiries, renewal reminders, whitelist repair.
        scheduler.register(
            "expire_consents",
            every=timedelta(days=1),
            offset=timedelta(hours=3),
            run=consents_daily_sweep,
        )
