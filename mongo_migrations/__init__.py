"""Migrations of the contrib and allauth apps for Mongo mode (ObjectIdAutoField ids).

Selected by ``MIGRATION_MODULES`` in modelsnapper/settings.py when MONGODB_URI is
set. Regenerate (see README, "MongoDB") with the offline settings variant; never
edit by hand except ``auth/0012_alter_user_first_name_max_length.py``.
"""
