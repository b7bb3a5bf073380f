from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from home.demo import seed_demo
from modelsnapper.dbstats import database_statistics_refresh


class Command(BaseCommand):
    help = "Loads demo packages, AI avatars and one user per role (safe to run repeatedly)."

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo creates users with known passwords; not in production.")
        users = seed_demo()
        database_statistics_refresh()  # SQLite plans the demo's lists with statistics
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in with:"))
        for demo in users:
            self.stdout.write(f"  {demo.role:<9} {demo.email:<36} password: {demo.password}")
