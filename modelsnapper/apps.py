from django.apps import AppConfig


class ModelSnapperConfig(AppConfig):
    name = "modelsnapper"
    verbose_name = "ModelSnapper"

    def ready(self) -> None:
        from modelsnapper import dbstats, tasks

        tasks.register()
        dbstats.register()
