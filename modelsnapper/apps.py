from django.apps import AppConfig


class ModelSnapperConfig(AppConfig):
    name = "modelsnapper"
    verbose_name = "ModelSnapper"
