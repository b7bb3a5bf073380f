"""A local HTTP server that answers the Stripe endpoints billing uses, with real
Stripe object shapes, so the official SDK runs unmodified against it.

Also builds and signs webhook events the way Stripe does
(``Stripe-Signature: t=<ts>,v1=<hex hmac-sha256 of "<ts>.<body>">``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_SECRET = "whsec_test_secret"
API_KEY = "sk_test_fake"

_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_test{next(_counter):012d}"


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts/lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = None if last else parts[index + 1]
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append({} if nxt is not None and not nxt.isdigit() else [])
                if last:
                    node[position] = value
                else:
                    node = node[position]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if nxt.isdigit() else {})
    return root


class FakeStripe:
    def __init__(self) -> None:
        self.customers: dict[str, dict] = {}
        self.prices: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.portal_sessions: dict[str, dict] = {}
        # Connect: connected accounts, account links, transfers (Stripe's object shapes).
        self.accounts: dict[str, dict] = {}
        self.account_links: list[dict] = []
        self.link_return_urls: dict[str, str] = {}
        self.transfers: dict[str, dict] = {}
        self.platform_available_cents = 10_000_000
        self.reversal_list_calls = 0
        # Faults a test switches on: every request answers 500 / a refusal for a path.
        self.down = False
        self.refuse: dict[str, tuple[int, dict]] = {}
        self.idempotent: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # --- test helpers -------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def add_price(
        self,
        price_id: str,
        *,
        unit_amount: int = 2900,
        currency: str = "usd",
        recurring_interval: str | None = None,
    ) -> dict:
        price = {
            "id": price_id,
            "object": "price",
            "active": True,
            "currency": currency,
            "unit_amount": unit_amount,
            "type": "recurring" if recurring_interval else "one_time",
            # As Stripe's Price object: null for one-time prices.
            "recurring": (
                {"interval": recurring_interval, "interval_count": 1, "usage_type": "licensed"}
                if recurring_interval
                else None
            ),
            "livemode": False,
            "metadata": {},
            "product": new_id("prod"),
        }
        self.prices[price_id] = price
        return price

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.startswith(path_prefix))

    def complete_session(self, session_id: str, *, paid: bool = True) -> dict:
        """What Stripe does when the buyer pays: the session is complete with a
        PaymentIntent and an invoice."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status="paid" if paid else "unpaid",
            payment_intent=session["payment_intent"] or new_id("pi"),
            invoice=session["invoice"] or new_id("in"),
        )
        return json.loads(json.dumps(session))

    def pay_async(self, session_id: str) -> dict:
        self.sessions[session_id]["payment_status"] = "paid"
        return json.loads(json.dumps(self.sessions[session_id]))

    # --- API ----------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, idem: str | None) -> tuple[int, dict]:
        with self.lock:
            self.requests.append((method, path, params))
            if self.down:
                # Unreachable: the request never reaches the API, so no idempotent
                # result is saved (Stripe saves one for requests that started executing).
                return 503, {"error": {"type": "api_error", "message": "Stripe is down (test)."}}
            if idem and (path, idem) in self.idempotent:
                return self.idempotent[(path, idem)]
            status, body = self._route(method, path, params)
            # Like Stripe, a replayed key gets a snapshot of the first response.
            body = json.loads(json.dumps(body))
            if idem and method == "POST":
                self.idempotent[(path, idem)] = (status, body)
            return status, body

    def _missing(self, kind: str, ident: str, param: str = "id") -> tuple[int, dict]:
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such {kind}: '{ident}'",
                "param": param,
            }
        }

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        for prefix, answer in self.refuse.items():
            if path.startswith(prefix):
                return answer
        if path.startswith(("/v1/accounts", "/v1/account_links", "/v1/transfers")):
            return self._route_connect(method, path, params)
        if method == "POST" and path == "/v1/customers":
            customer = {
                "id": new_id("cus"),
                "object": "customer",
                "email": params.get("email"),
                "name": params.get("name"),
                "metadata": params.get("metadata", {}),
                "livemode": False,
            }
            self.customers[customer["id"]] = customer
            return 200, customer
        if match := re.fullmatch(r"/v1/prices/([^/]+)", path):
            price = self.prices.get(match[1])
            return (200, price) if price else self._missing("price", match[1])
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if match := re.fullmatch(r"/v1/checkout/sessions/([^/]+)", path):
            session = self.sessions.get(match[1])
            return (200, session) if session else self._missing("checkout.session", match[1])
        if method == "POST" and path == "/v1/billing_portal/sessions":
            if params.get("customer") not in self.customers:
                return self._missing("customer", params.get("customer"), "customer")
            portal = {
                "id": new_id("bps"),
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.test/p/session/{new_id('live')}",
                "livemode": False,
            }
            self.portal_sessions[portal["id"]] = portal
            return 200, portal
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def _create_session(self, params: dict) -> tuple[int, dict]:
        line = (params.get("line_items") or [{}])[0]
        price = self.prices.get(line.get("price", ""))
        if price is None:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "message": f"No such price: '{line.get('price')}'",
                    "param": "line_items[0][price]",
                }
            }
        session_id = new_id("cs")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": price["unit_amount"] * int(line.get("quantity", 1)),
            "currency": price["currency"],
            "customer": params.get("customer"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "invoice_creation": {"enabled": True},
            "payment_intent": None,
            "invoice": None,
            "success_url": params.get("success_url", "").replace(
                "{CHECKOUT_SESSION_ID}", session_id
            ),
            "cancel_url": params.get("cancel_url"),
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "livemode": False,
            "created": int(time.time()),
        }
        self.sessions[session_id] = session
        return 200, session

    # --- Connect (v1/accounts, v1/account_links, v1/transfers) -------------------------
    def finish_onboarding(self, account_id: str, *, enabled: bool = True) -> dict:
        # (Called under self.lock by the hosted page; plain dict updates otherwise.)
        """What Stripe does when the person completes Express onboarding."""
        account = self.accounts[account_id]
        account.update(
            details_submitted=True,
            payouts_enabled=enabled,
            capabilities={"transfers": "active" if enabled else "inactive"},
        )
        account["requirements"].update(
            currently_due=[] if enabled else ["external_account"],
            disabled_reason=None if enabled else "requirements.past_due",
        )
        return json.loads(json.dumps(account))

    def restrict(self, account_id: str, *, reason: str = "requirements.past_due") -> dict:
        """Stripe disables payouts (e.g. a verification document is now due)."""
        account = self.accounts[account_id]
        account.update(payouts_enabled=False, capabilities={"transfers": "inactive"})
        account["requirements"].update(
            currently_due=["individual.verification.document"], disabled_reason=reason
        )
        return json.loads(json.dumps(account))

    def reverse(self, transfer_id: str, *, amount: int | None = None) -> dict:
        """A transfer reversal (v1/transfers/{id}/reversals), as the dashboard makes one."""
        with self.lock:
            self._reverse(transfer_id, {"amount": str(amount)} if amount else {})
            return json.loads(json.dumps(self.transfers[transfer_id]))

    def _error(self, status: int, code: str, message: str, param: str = "") -> tuple[int, dict]:
        return status, {
            "error": {
                "type": "invalid_request_error",
                "code": code,
                "message": message,
                **({"param": param} if param else {}),
            }
        }

    def _route_connect(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/accounts":
            return self._create_account(params)
        if match := re.fullmatch(r"/v1/accounts/([^/]+)", path):
            account = self.accounts.get(match[1])
            return (200, account) if account else self._missing("account", match[1], "account")
        if method == "POST" and path == "/v1/account_links":
            return self._create_account_link(params)
        if method == "POST" and path == "/v1/transfers":
            return self._create_transfer(params)
        if method == "GET" and path == "/v1/transfers":
            group = params.get("transfer_group")
            data = [t for t in self.transfers.values() if not group or t["transfer_group"] == group]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/transfers"}
        if method == "POST" and (match := re.fullmatch(r"/v1/transfers/([^/]+)/reversals", path)):
            return self._reverse(match[1], params)
        if method == "GET" and (match := re.fullmatch(r"/v1/transfers/([^/]+)/reversals", path)):
            return self._list_reversals(match[1], params)
        if match := re.fullmatch(r"/v1/transfers/([^/]+)", path):
            transfer = self.transfers.get(match[1])
            return (200, transfer) if transfer else self._missing("transfer", match[1])
        return 404, {"error": {"type": "invalid_request_error", "message": f"No route {path}"}}

    def _create_account(self, params: dict) -> tuple[int, dict]:
        if params.get("type") not in {"express", "standard", "custom"}:
            return self._error(400, "parameter_missing", "Missing required param: type.", "type")
        requested = {
            name: "inactive"
            for name, spec in (params.get("capabilities") or {}).items()
            if isinstance(spec, dict) and spec.get("requested") == "true"
        }
        account_id = new_id("acct")
        account = {
            "id": account_id,
            "object": "account",
            "type": params["type"],
            "email": params.get("email"),
            "country": params.get("country", "US"),
            "default_currency": "usd",
            "business_type": params.get("business_type"),
            "capabilities": requested,
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "requirements": {
                "alternatives": [],
                "currently_due": ["business_type", "external_account", "tos_acceptance.date"],
                "eventually_due": ["business_type", "external_account", "tos_acceptance.date"],
                "past_due": [],
                "pending_verification": [],
                "errors": [],
                "disabled_reason": "requirements.past_due",
                "current_deadline": None,
            },
            "future_requirements": {
                "alternatives": [],
                "current_deadline": None,
                "currently_due": [],
                "disabled_reason": None,
                "errors": [],
                "eventually_due": [],
                "past_due": [],
                "pending_verification": [],
            },
            "business_profile": {
                "mcc": None,
                "name": None,
                "product_description": None,
                "url": None,
            },
            "controller": {"type": "application", "is_controller": True},
            "external_accounts": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/accounts/{account_id}/external_accounts",
            },
            "settings": {"payouts": {"schedule": {"interval": "daily", "delay_days": 2}}},
            "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.accounts[account["id"]] = account
        return 200, account

    def _create_account_link(self, params: dict) -> tuple[int, dict]:
        for name in ("account", "type"):
            if not params.get(name):
                return self._error(400, "parameter_missing", f"Missing required param: {name}.")
        if params["account"] not in self.accounts:
            return self._missing("account", params["account"], "account")
        if params["type"] not in {"account_onboarding", "account_update"}:
            return self._error(400, "invalid_request_error", "Invalid type.", "type")
        now = int(time.time())
        link = {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            # Stripe's hosted onboarding, played by this server (a browser can open it).
            "url": f"{self.base_url}/connect/setup/e/{params['account']}/{new_id('link')}",
        }
        self.account_links.append(link)
        # Not part of the object Stripe answers: where its hosted page sends the model.
        self.link_return_urls[link["url"]] = params.get("return_url") or ""
        return 200, link

    def _create_transfer(self, params: dict) -> tuple[int, dict]:
        raw = params.get("amount", "")
        if not raw.isdigit() or int(raw) <= 0:
            return self._error(400, "parameter_invalid_integer", "Invalid integer.", "amount")
        amount = int(raw)
        account = self.accounts.get(params.get("destination", ""))
        if account is None:
            return self._missing("account", params.get("destination", ""), "destination")
        if account["capabilities"].get("transfers") != "active":
            return self._error(
                400,
                "insufficient_capabilities_for_transfer",
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "destination",
            )
        if amount > self.platform_available_cents:
            return self._error(
                400,
                "balance_insufficient",
                "You have insufficient available funds in your Stripe account.",
            )
        self.platform_available_cents -= amount
        transfer_id = new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": params.get("currency", "usd"),
            "description": params.get("description"),
            "destination": account["id"],
            "destination_payment": new_id("py"),
            "balance_transaction": new_id("txn"),
            "metadata": params.get("metadata", {}),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_type": "card",
            "source_transaction": None,
            "transfer_group": params.get("transfer_group"),
            "created": int(time.time()),
            "livemode": False,
        }
        self.transfers[transfer_id] = transfer
        return 200, transfer

    def _reverse(self, transfer_id: str, params: dict) -> tuple[int, dict]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return self._missing("transfer", transfer_id)
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params.get("amount") or left)
        if amount <= 0 or amount > left:
            return self._error(400, "amount_too_large", "The amount exceeds what is left.")
        reversal = {
            "id": new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "destination_payment_refund": new_id("pyr"),
            "source_refund": None,
            "currency": transfer["currency"],
            "transfer": transfer_id,
            "metadata": {},
            "created": int(time.time()),
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        self.platform_available_cents += amount
        return 200, reversal

    def _list_reversals(self, transfer_id: str, params: dict) -> tuple[int, dict]:
        """GET v1/transfers/{id}/reversals: newest first, ``limit`` and ``starting_after``."""
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return self._missing("transfer", transfer_id)
        newest_first = list(reversed(transfer["reversals"]["data"]))
        after = params.get("starting_after")
        if after:
            ids = [r["id"] for r in newest_first]
            newest_first = newest_first[ids.index(after) + 1 :] if after in ids else []
        limit = max(1, min(100, int(params.get("limit") or 10)))
        self.reversal_list_calls += 1
        return 200, {
            "object": "list",
            "data": newest_first[:limit],
            "has_more": len(newest_first) > limit,
            "url": f"/v1/transfers/{transfer_id}/reversals",
        }

    # --- server -------------------------------------------------------------------
    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _hosted(self, method: str) -> bool:
                """Stripe's hosted Express onboarding: a page, and "Agree and submit"."""
                match = re.fullmatch(
                    r"/connect/setup/e/(acct_[^/]+)/([^/?]+)", urlsplit(self.path).path
                )
                if not match:
                    return False
                link = next(
                    (link for link in fake.account_links if link["url"].endswith(match[2])), None
                )
                if link is None:
                    self.send_response(404)
                    self.end_headers()
                    return True
                if method == "POST":
                    with fake.lock:
                        fake.finish_onboarding(match[1])
                    self.send_response(303)
                    self.send_header("Location", fake.link_return_urls[link["url"]])
                    self.end_headers()
                    return True
                body = (
                    b"<!doctype html><title>Stripe Express (test)</title>"
                    b"<h1>Set up payouts for ModelSnapper</h1>"
                    b"<p>Stripe collects identity, tax and bank details here.</p>"
                    b'<form method="post"><button type="submit">Agree and submit</button></form>'
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return True

            def _respond(self, method: str) -> None:
                if self._hosted(method):
                    return
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    status, body = 401, {"error": {"type": "invalid_request_error"}}
                else:
                    url = urlsplit(self.path)
                    length = int(self.headers.get("Content-Length") or 0)
                    raw = self.rfile.read(length).decode() if length else url.query
                    params = _nest(parse_qsl(raw, keep_blank_values=True))
                    status, body = fake.handle(
                        method, url.path, params, self.headers.get("Idempotency-Key")
                    )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", new_id("req"))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._respond("GET")

            def do_POST(self) -> None:
                self._respond("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# --- webhooks -------------------------------------------------------------------------


def make_event(
    event_type: str, obj: dict, *, event_id: str | None = None, created: int | None = None
) -> dict:
    return {
        "id": event_id or new_id("evt"),
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def invoice_object(
    *,
    invoice_id: str,
    customer: str,
    status: str,
    amount_due: int = 2900,
    number: str = "MS-0001",
    paid_at: int | None = None,
    metadata: dict | None = None,
) -> dict:
    now = int(time.time())
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "number": number if status != "draft" else None,
        "amount_due": amount_due,
        "amount_paid": amount_due if status == "paid" else 0,
        "currency": "usd",
        "status": status,
        "invoice_pdf": f"https://pay.stripe.test/invoice/{invoice_id}/pdf",
        "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
        "period_start": now - 60,
        "period_end": now - 60,
        "metadata": metadata or {},
        "status_transitions": {"paid_at": paid_at, "finalized_at": None, "voided_at": None},
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": new_id("il"),
                    "object": "line_item",
                    "description": "1 x STARTER TIER",
                    "quantity": 1,
                    "amount": amount_due,
                    "currency": "usd",
                    "pricing": {
                        "type": "price_details",
                        "price_details": {"price": "price_starter", "product": "prod_1"},
                    },
                }
            ],
        },
    }


def charge_object(*, payment_intent: str, customer: str, amount: int, refunded_amount: int) -> dict:
    return {
        "id": f"ch_for_{payment_intent}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded_amount,
        "refunded": refunded_amount >= amount,
        "currency": "usd",
        "customer": customer,
        "payment_intent": payment_intent,
        "metadata": {},
        "paid": True,
        "status": "succeeded",
    }
