"""Mongo mode without a MongoDB server: for ``makemigrations`` and offline checks.

``DJANGO_SETTINGS_MODULE=modelsnapper.settings_mongo_offline`` gives exactly the
Mongo-mode settings (django-mongodb-backend, the Mongo app configs, the committed
``mongo_migrations/``), pointed at an unreachable address unless ``MONGODB_URI``
is already set, plus a router whose ``allow_migrate`` is False. ``makemigrations``
then skips the migration-history read that needs a server and still detects
model changes. Never use it to serve or migrate.

    make check-mongo
"""

from __future__ import annotations

import os

# Port 27999 on loopback: nothing listens there, and nothing here connects.
os.environ.setdefault("MONGODB_URI", "mongodb://127.0.0.1:27999/modelsnapper")
# Mongo mode requires the Redis task queue; only its URL is read, never dialled.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from modelsnapper.settings import *  # noqa: F403

DATABASE_ROUTERS = ["modelsnapper.routers.NoMigrateRouter"]
