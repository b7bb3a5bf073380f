"""Database routers.

``NoMigrateRouter`` is used only by ``modelsnapper.settings_mongo_offline``: it
answers ``allow_migrate`` with False, so ``makemigrations`` skips its migration
history check (the one step that needs a reachable MongoDB server) while still
comparing the models with the migration files.
"""

from __future__ import annotations


class NoMigrateRouter:
    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return False
