"""Create the local Content Credentials CA and signer once (``make run`` calls this)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from generations.provenance import (
    ProvenanceError,
    configured_paths,
    ensure_local_signer,
    local_dir,
    signing_credentials,
)


class Command(BaseCommand):
    help = (
        "Create a local ES256 CA and C2PA signer certificate in C2PA_LOCAL_DIR unless "
        "C2PA_SIGN_CERT/C2PA_SIGN_KEY are configured or the files already exist."
    )

    def handle(self, *args, **options) -> None:
        try:
            credentials = signing_credentials() if configured_paths() is not None else None
            if credentials is not None:
                self.stdout.write(
                    "Content Credentials: signing with the configured certificate "
                    f"({credentials.leaf.subject.rfc4514_string()})."
                )
                return
            created = ensure_local_signer()
        except ProvenanceError as error:
            raise CommandError(error.user_message) from error
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Content Credentials: created a local signer in {local_dir()}.")
            )
        else:
            self.stdout.write(f"Content Credentials: using the local signer in {local_dir()}.")
