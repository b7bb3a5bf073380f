from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The top of the import order: what reads across every app (dashboards, demo
    data, the benchmark). Nothing imports ``home``."""

    name = "home"
    verbose_name = "Home"
