from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        # billing stores and dispatches Stripe events; payouts handles the Connect ones.
        from billing import services as billing_services
        from payouts import services

        for event_type, handler in services.EVENT_HANDLERS.items():
            billing_services.stripe_event_handler_register(event_type, handler)
