import hashlib

from django.db import migrations


def seed_release(apps, schema_editor):
    from marketplace.release_text import RELEASE_V1_TEXT, RELEASE_V1_TITLE

    LikenessRelease = apps.get_model("marketplace", "LikenessRelease")
    if LikenessRelease.objects.filter(version=1).exists():
        return
    LikenessRelease.objects.create(
        version=1,
        title=RELEASE_V1_TITLE,
        text=RELEASE_V1_TEXT,
        text_sha256=hashlib.sha256(RELEASE_V1_TEXT.encode("utf-8")).hexdigest(),
    )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_likeness_consent")]

    operations = [migrations.RunPython(seed_release, migrations.RunPython.noop)]
