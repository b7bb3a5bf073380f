from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    name = "generations"
    verbose_name = "Generations"

    def ready(self) -> None:
        # The hooks of the apps below: they announce, generations acts (imports one way).
        from generations import services, tasks
        from marketplace import hooks
        from modelsnapper import scheduler

        hooks.on_likeness_ended(services.generations_refuse_after_likeness_ended)
        tasks.register()
        # Every minute: a job whose worker died is taken over within REQUEUE_WITHIN.
        scheduler.register(
            "requeue_generations",
            every=services.REQUEUE_SWEEP_EVERY,
            run=services.generations_requeue_stale,
        )
