"""Clerk sign-in through allauth's OpenID Connect provider, against a local OIDC server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLERK_SUBJECT = "user_2clerkSubject123"


class FakeClerk(BaseHTTPRequestHandler):
    """Answers the four OIDC endpoints allauth uses, as Clerk's issuer would."""

    email = "clerky@shop.test"

    def log_message(self, *args) -> None:
        pass

    def _json(self, payload: dict, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/.well-known/openid-configuration":
            self._json(
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/oauth/authorize",
                    "token_endpoint": f"{base}/oauth/token",
                    "userinfo_endpoint": f"{base}/oauth/userinfo",
                    "jwks_uri": f"{base}/.well-known/jwks.json",
                }
            )
        elif self.path == "/oauth/userinfo":
            if self.headers.get("Authorization") != "Bearer clerk-access-token":
                self._json({"error": "invalid_token"}, 401)
                return
            self._json({"sub": CLERK_SUBJECT, "email": self.email, "email_verified": True})
        else:
            self._json({"error": "not_found"}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        if self.path == "/oauth/token" and form.get("code") == ["the-code"]:
            self._json({"access_token": "clerk-access-token", "token_type": "Bearer"})
        else:
            self._json({"error": "invalid_grant"}, 400)


@pytest.fixture
def clerk(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeClerk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "clerk",
                    "name": "Clerk",
                    "client_id": "clerk-client",
                    "secret": "clerk-secret",
                    "settings": {"server_url": f"http://127.0.0.1:{server.server_port}"},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    yield server
    server.shutdown()


def sign_in_with_clerk(client) -> object:
    start = client.post("/accounts/oidc/clerk/login/")
    assert start.status_code == 302, start.content
    state = parse_qs(urlparse(start.url).query)["state"][0]
    return client.get("/accounts/oidc/clerk/login/callback/", {"code": "the-code", "state": state})


def test_a_new_clerk_user_picks_a_role_and_gets_clerk_id(client, clerk):
    callback = sign_in_with_clerk(client)
    assert callback.status_code == 302
    assert callback.url == reverse("socialaccount_signup")

    response = client.post(
        reverse("socialaccount_signup"), {"email": "clerky@shop.test", "role": Role.MODEL}
    )

    assert response.status_code == 302
    user = User.objects.get(email="clerky@shop.test")
    assert user.clerk_id == CLERK_SUBJECT
    assert user.role == Role.MODEL


def test_the_clerk_role_form_refuses_admin(client, clerk):
    sign_in_with_clerk(client)

    response = client.post(
        reverse("socialaccount_signup"), {"email": "clerky@shop.test", "role": Role.ADMIN}
    )

    assert response.status_code == 200
    assert not User.objects.filter(email="clerky@shop.test").exists()


def test_a_returning_clerk_user_logs_in_to_the_same_account(client, clerk):
    sign_in_with_clerk(client)
    client.post(reverse("socialaccount_signup"), {"email": "clerky@shop.test", "role": "BUSINESS"})
    client.logout()

    callback = sign_in_with_clerk(client)

    assert callback.status_code == 302
    assert User.objects.filter(clerk_id=CLERK_SUBJECT).count() == 1
    assert client.get(reverse("home:dashboard")).status_code in (200, 302)
    assert client.session.get("_auth_user_id") == User.objects.get(clerk_id=CLERK_SUBJECT).pk


def test_users_without_clerk_have_no_clerk_id_and_do_not_collide(db):
    first = UserFactory()
    second = UserFactory()
    assert first.clerk_id is None and second.clerk_id is None
