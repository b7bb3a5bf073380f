# Written by hand: no schema change.
#
# The project's own migrations are one set for SQLite and MongoDB. In SQLite
# mode makemigrations wrote accounts/migrations/0001_initial.py depending on
# Django's last auth migration, ("auth", "0012_alter_user_first_name_max_length").
# In Mongo mode auth's migrations are this package, whose 0001_initial already
# holds the final state of auth's models; this empty migration gives that
# dependency a node with the same name, so the shared set resolves in both modes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0001_initial"),
    ]

    operations = []
