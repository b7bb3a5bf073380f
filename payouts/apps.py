from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        # billing stores and dispatches Stripe events; payouts handles the Connect ones.
        from billing import services as billing_services
        from modelsnapper import scheduler
        from payouts import selectors, services

        for event_type, handler in services.EVENT_HANDLERS.items():
            billing_services.stripe_event_handler_register(
                event_type,
                handler,
                from_connected_accounts=event_type in services.CONNECTED_ACCOUNT_EVENT_TYPES,
            )
        # Weekly on PAYOUT_WEEKDAY at 06:00 UTC; a scheduler that was down catches up
        # within a day, never later (the payouts page promises that date).
        scheduler.register(
            "payouts_run",
            every=timedelta(days=7),
            offset=scheduler.weekly_offset(
                weekday=settings.PAYOUT_WEEKDAY, at=selectors.RUN_TIME_OF_DAY
            ),
            catch_up=timedelta(days=1),
            run=services.payouts_run_weekly,
        )
