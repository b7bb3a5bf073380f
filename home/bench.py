"""`make bench`: what every page and the hot paths cost, as ratios within one run.

Two throwaway SQLite databases (never the real one) hold SMALL and LARGE rows of
everything a list shows (home.benchdata.build). Each page is requested in both,
small and large interleaved, as the same persona; the table compares full page with
full page: queries (must be equal), HTML bytes and server time (targets ≤ 1.5x).
Then: the offline engine against a bare Pillow decode → LANCZOS → JPEG of the same
input, the platform's own cost per generation (create + worker - engine), the peak
RSS a 12 MP upload adds (in a fresh process), and requests/s of the business
dashboard against /healthz under gunicorn with a bounded loopback load generator.
Everything lands in bench/results.json; the table is printed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from PIL import Image, ImageDraw

from home.benchdata import Personas, build
from modelsnapper.dbstats import database_statistics_refresh
from modelsnapper.paging import PAGE_SIZE

SMALL, LARGE = 10, 10_000
# Targets of issue 12 (ratios within one run).
MAX_PAGE_RATIO = 1.5
MIN_ENGINE_THROUGHPUT = 0.8
MAX_OVERHEAD_MS = 20.0
MAX_UPLOAD_RSS_MB = 80.0
MIN_DASHBOARD_SHARE = 0.5


@dataclass
class PageRow:
    name: str
    url: str
    status: str = "ok"  # ok | missing (404) | error
    queries: tuple[int, int] = (0, 0)
    html_bytes: tuple[int, int] = (0, 0)
    ms: tuple[float, float] = (0.0, 0.0)

    @property
    def time_ratio(self) -> float:
        return self.ms[1] / self.ms[0] if self.ms[0] else float("nan")

    @property
    def bytes_ratio(self) -> float:
        return self.html_bytes[1] / self.html_bytes[0] if self.html_bytes[0] else float("nan")

    @property
    def ok(self) -> bool:
        return self.status == "ok" and (
            self.queries[0] == self.queries[1]
            and self.time_ratio <= MAX_PAGE_RATIO
            and self.bytes_ratio <= MAX_PAGE_RATIO
        )


@dataclass
class Results:
    sizes: tuple[int, int]
    pages: list[PageRow] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)


# --- databases ---------------------------------------------------------------------------


class Databases:
    """Two SQLite files with the same schema, SMALL and LARGE rows; swap which is default."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.wrappers: dict[str, Any] = {}
        self.personas: dict[str, Personas] = {}

    def _wrapper(self, path: Path) -> Any:
        settings_dict = dict(connections.settings["default"])
        settings_dict["NAME"] = str(path)
        return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")

    def use(self, size: str) -> None:
        connections["default"] = self.wrappers[size]

    def build(self, small: int, large: int) -> None:
        base = self.directory / "base.sqlite3"
        self.wrappers["base"] = self._wrapper(base)
        self.use("base")
        call_command("migrate", verbosity=0, interactive=False)
        connection.close()
        for size, rows in (("small", small), ("large", large)):
            path = self.directory / f"{size}.sqlite3"
            shutil.copyfile(base, path)
            self.wrappers[size] = self._wrapper(path)
            self.use(size)
            self.personas[size] = build(rows, prefix=size)
            # As after the nightly statistics job (modelsnapper.dbstats) in a real database.
            database_statistics_refresh()

    def path(self, size: str) -> str:
        return str(self.wrappers[size].settings_dict["NAME"])

    def close(self) -> None:
        for wrapper in self.wrappers.values():
            wrapper.close()


# --- pages ---------------------------------------------------------------------------------


def _user_pages(personas: Personas) -> list[tuple[str, str, str | None]]:
    """(name, url, persona attribute or None for anonymous) of every page a user reaches."""
    return [
        ("landing", "/", None),
        ("pricing (public)", "/pricing/", None),
        ("business dashboard", reverse("home:dashboard"), "business"),
        ("model dashboard", reverse("home:dashboard"), "model"),
        ("model directory", reverse("marketplace:directory"), "business"),
        ("business consents", reverse("marketplace:business-consents"), "business"),
        ("consent inbox", reverse("marketplace:consent-inbox"), "model"),
        ("audit trail", reverse("marketplace:audit-trail"), "model"),
        ("invoices", reverse("billing:invoices"), "business"),
        ("credit ledger", reverse("billing:credits"), "business"),
        ("history", reverse("generations:history"), "business"),
        ("royalties", reverse("generations:royalties"), "model"),
        ("new photos (wearer picker, issue 13)", reverse("generations:new"), "business"),
        ("packages", reverse("billing:packages"), "business"),
        ("admin index", reverse("admin:index"), "admin"),
    ]


def _admin_pages() -> list[tuple[str, str, str | None]]:
    pages: list[tuple[str, str, str | None]] = []
    for model in admin.site._registry:
        meta = model._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except Exception:  # noqa: S112 — a registry entry without a changelist
            continue
        pages.append((f"admin {meta.app_label}.{meta.model_name}", url, "admin"))
    return pages


class PageBench:
    def __init__(self, databases: Databases, repeat: int) -> None:
        self.databases = databases
        self.repeat = repeat
        self.clients: dict[tuple[str, str | None], Client] = {}

    def _client(self, size: str, persona: str | None) -> Client:
        key = (size, persona)
        if key not in self.clients:
            client = Client()
            if persona:
                client.force_login(getattr(self.databases.personas[size], persona))
            self.clients[key] = client
        return self.clients[key]

    def _once(self, size: str, persona: str | None, url: str) -> tuple[int, int, int, float]:
        self.databases.use(size)
        client = self._client(size, persona)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        return response.status_code, len(captured), len(response.content), elapsed

    def measure(self, name: str, url: str, persona: str | None) -> PageRow:
        row = PageRow(name=name, url=url)
        samples: dict[str, list[float]] = {"small": [], "large": []}
        seen: dict[str, tuple[int, int]] = {}
        for index in range(self.repeat + 1):  # the first round warms up
            for size in ("small", "large"):
                status, queries, size_bytes, elapsed = self._once(size, persona, url)
                if status == 404:
                    row.status = "missing"
                    return row
                if status != 200:
                    row.status = f"HTTP {status}"
                    return row
                seen[size] = (queries, size_bytes)
                if index:
                    samples[size].append(elapsed)
        row.queries = (seen["small"][0], seen["large"][0])
        row.html_bytes = (seen["small"][1], seen["large"][1])
        row.ms = (
            statistics.median(samples["small"]) * 1000,
            statistics.median(samples["large"]) * 1000,
        )
        return row

    def run(self) -> list[PageRow]:
        pages = _user_pages(self.databases.personas["small"]) + _admin_pages()
        return [self.measure(name, url, persona) for name, url, persona in pages]


# --- engine, overhead, memory ----------------------------------------------------------------


def garment_jpeg(width: int = 1200, height: int = 1600) -> bytes:
    """A product photo: a red shirt on a plain, slightly noisy white backdrop."""
    image = Image.new("RGB", (width, height), (248, 248, 246))
    draw = ImageDraw.Draw(image)
    sx, sy = width / 512, height / 640
    draw.polygon(
        [
            (130 * sx, 110 * sy),
            (382 * sx, 110 * sy),
            (450 * sx, 230 * sy),
            (380 * sx, 260 * sy),
            (370 * sx, 560 * sy),
            (142 * sx, 560 * sy),
            (132 * sx, 260 * sy),
            (62 * sx, 230 * sy),
        ],
        fill=(180, 40, 60),
    )
    draw.ellipse([200 * sx, 250 * sy, 310 * sx, 360 * sy], fill=(250, 250, 250))  # a logo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _wearer_bytes() -> bytes:
    from marketplace.avatar_art import DEMO_AVATARS, avatar_jpeg_bytes

    return avatar_jpeg_bytes(DEMO_AVATARS[0])


def engine_vs_pillow(repeat: int) -> dict[str, float]:
    from generations.engines import EngineRequest, get_engine
    from generations.engines.base import OUTPUT_HEIGHT, OUTPUT_WIDTH

    garment, wearer = garment_jpeg(), _wearer_bytes()
    engine = get_engine("offline")

    def bare() -> None:
        image = Image.open(io.BytesIO(garment)).convert("RGB")
        small = image.resize((OUTPUT_WIDTH, OUTPUT_HEIGHT), Image.Resampling.LANCZOS)
        small.save(io.BytesIO(), "JPEG", quality=90)

    def offline() -> None:
        engine.generate(
            EngineRequest(
                generation_id="0" * 24, garment_jpeg=garment, wearer_jpeg=wearer, category="top"
            )
        )

    # Interleaved, so a noisy neighbour slows both alike.
    bare_ms, engine_ms = [], []
    for _ in range(3):
        bare_ms.append(_median_ms(bare, max(1, repeat)))
        engine_ms.append(_median_ms(offline, max(1, repeat)))
    bare_median, engine_median = statistics.median(bare_ms), statistics.median(engine_ms)
    return {
        "bare_pillow_ms": round(bare_median, 1),
        "engine_ms": round(engine_median, 1),
        "throughput_vs_pillow": round(bare_median / engine_median, 2),
    }


def platform_overhead(databases: Databases, repeat: int) -> dict[str, float]:
    """create + worker run - engine, per generation, on the small database."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import BusinessProfile
    from generations import services
    from generations.engines import EngineRequest, get_engine
    from generations.models import Generation
    from marketplace.models import AIAvatar
    from modelsnapper import heartbeat
    from modelsnapper.storage import read_private, save_private

    databases.use("small")
    who = databases.personas["small"]
    business = BusinessProfile.objects.select_related("package", "user").get(user=who.business)
    BusinessProfile.objects.filter(pk=business.pk).update(ai_credits=10_000)
    avatar = AIAvatar.objects.filter(is_active=True).order_by("name").first()
    assert avatar is not None
    AIAvatar.objects.filter(pk=avatar.pk).update(
        s3_url=save_private(prefix="avatars", content=_wearer_bytes())
    )
    garment = garment_jpeg()
    engine = get_engine("offline")
    # This process runs each job itself below: it is the worker, and says so.
    heartbeat.beat("bench")
    create_ms, run_ms, engine_ms = [], [], []
    for index in range(repeat + 1):
        start = time.perf_counter()
        batch = services.generation_create(
            business=business,
            wearer=services.Wearer.parse(f"avatar:{avatar.pk}"),
            category="top",
            photos=[SimpleUploadedFile("shirt.jpg", garment, "image/jpeg")],
            batch_key=f"bench-overhead-{uuid.uuid4().hex}",
            actor=who.business,
        )
        created = time.perf_counter()
        generation = Generation.objects.get(batch=batch)
        services.generation_run(generation_id=generation.pk)
        ran = time.perf_counter()
        generation.refresh_from_db()
        assert generation.status == "succeeded", (generation.status, generation.error_message)
        request = EngineRequest(
            generation_id=generation.pk,
            garment_jpeg=read_private(generation.product_image_key),
            wearer_jpeg=read_private(AIAvatar.objects.get(pk=avatar.pk).s3_url),
            category="top",
        )
        engine_start = time.perf_counter()
        engine.generate(request)
        engine_end = time.perf_counter()
        if index:
            create_ms.append((created - start) * 1000)
            run_ms.append((ran - created) * 1000)
            engine_ms.append((engine_end - engine_start) * 1000)
    create, run, eng = (statistics.median(v) for v in (create_ms, run_ms, engine_ms))
    return {
        "create_ms": round(create, 1),
        "worker_ms": round(run, 1),
        "engine_ms": round(eng, 1),
        "overhead_ms": round(create + run - eng, 1),
    }


RSS_PROBE = """
import io, sys, resource
import django
django.setup()
from PIL import Image
from modelsnapper.images import process_image_upload
image = Image.new("RGB", (4000, 3000))
for x in range(0, 4000, 50):
    image.paste((x % 255, 90, 200), (x, 0, x + 25, 3000))
buffer = io.BytesIO()
image.save(buffer, "JPEG", quality=90)
data = buffer.getvalue()
del image, buffer
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark
before = hwm()
process_image_upload(data, thumbnail=sys.argv[1] == "thumbnail")
print(hwm() - before)
"""


def upload_peak_rss_mb() -> dict[str, float] | None:
    """Peak RSS a 12 MP JPEG upload adds to a fresh process (Linux /proc): as a product
    photo (no thumbnail) and as a likeness photo (with its thumbnail)."""
    if not Path("/proc/self/clear_refs").exists():
        return None
    return {kind: _rss_probe(kind) for kind in ("product", "thumbnail")}


def _rss_probe(kind: str) -> float:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "modelsnapper.settings"}
    result = subprocess.run(  # noqa: S603 — our own interpreter and probe
        [sys.executable, "-c", RSS_PROBE, kind],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=settings.BASE_DIR,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"RSS probe failed: {result.stderr[-2000:]}")
    return round(int(result.stdout.strip().splitlines()[-1]) / 1024, 1)


# --- requests per second under gunicorn ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start in time")


def load(
    port: int, path: str, *, cookie: str = "", requests: int, seconds: float, threads: int = 4
) -> float:
    """Requests/s of GET path on loopback: at most `requests` in all and `seconds` long."""
    lock = threading.Lock()
    done = [0]
    errors = [0]
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Cookie": cookie} if cookie else {}
        while time.monotonic() < stop_at:
            with lock:
                if done[0] >= requests:
                    break
                done[0] += 1
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                with lock:
                    errors[0] += 1
        conn.close()

    start = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - start
    if errors[0]:
        raise RuntimeError(f"{errors[0]} of {done[0]} requests to {path} failed")
    return done[0] / elapsed


def requests_per_second(databases: Databases, *, requests: int, seconds: float) -> dict[str, Any]:
    """Dashboard (large database, business persona) against /healthz, gunicorn 2 workers."""
    databases.use("large")
    client = Client()
    client.force_login(databases.personas["large"].business)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection.close()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{databases.path('large')}",
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("MONGODB_URI", None)
    server = subprocess.Popen(  # noqa: S603 — gunicorn from our own venv, loopback only
        [
            sys.executable,
            "-m",
            "gunicorn",
            "modelsnapper.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, time.monotonic() + 30)
        load(port, "/healthz", requests=20, seconds=5)  # warm both workers
        load(port, "/dashboard/", cookie=cookie, requests=20, seconds=5)
        healthz = load(port, "/healthz", requests=requests, seconds=seconds)
        dashboard = load(port, "/dashboard/", cookie=cookie, requests=requests, seconds=seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        "healthz_rps": round(healthz, 1),
        "dashboard_rps": round(dashboard, 1),
        "dashboard_share": round(dashboard / healthz, 2),
    }


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    small: int = SMALL
    large: int = LARGE
    repeat: int = 5
    load_requests: int = 600
    load_seconds: float = 8.0
    output: Path | None = None
    skip_load: bool = False


def run(options: Options, write: Callable[[str], None]) -> Results:
    if connection.vendor != "sqlite":
        raise RuntimeError("make bench builds throwaway SQLite databases: unset MONGODB_URI.")
    results = Results(sizes=(options.small, options.large))
    directory = Path(tempfile.mkdtemp(prefix="modelsnapper-bench-"))
    original = connections["default"]
    # As in production (no debug rendering), with files and a signer of its own; lists
    # show `small` rows a page so the small and the large database both show a full page.
    overrides = override_settings(
        DEBUG=False,
        MEDIA_ROOT=directory / "media",
        C2PA_LOCAL_DIR=directory / "c2pa",
        LIST_PAGE_SIZE=min(options.small, PAGE_SIZE),
    )
    overrides.enable()
    admin_pages = {ma: ma.list_per_page for ma in admin.site._registry.values()}
    for model_admin in admin_pages:
        model_admin.list_per_page = min(options.small, PAGE_SIZE)  # type: ignore[misc]
    databases = Databases(directory)
    try:
        started = time.perf_counter()
        databases.build(options.small, options.large)
        took = time.perf_counter() - started
        write(f"built {options.small} and {options.large} rows in {took:.0f} s")
        results.pages = PageBench(databases, options.repeat).run()
        write("pages measured")
        results.figures["engine"] = engine_vs_pillow(options.repeat)
        results.figures["overhead"] = platform_overhead(databases, options.repeat)
        results.figures["upload_rss_mb"] = upload_peak_rss_mb()
        if not options.skip_load:
            results.figures["load"] = requests_per_second(
                databases, requests=options.load_requests, seconds=options.load_seconds
            )
    finally:
        databases.close()
        connections["default"] = original
        overrides.disable()
        for model_admin, per_page in admin_pages.items():
            model_admin.list_per_page = per_page  # type: ignore[misc]
        shutil.rmtree(directory, ignore_errors=True)
    if options.output:
        options.output.parent.mkdir(parents=True, exist_ok=True)
        options.output.write_text(json.dumps(as_json(results), indent=2) + "\n")
    return results


def as_json(results: Results) -> dict[str, Any]:
    return {
        "sizes": list(results.sizes),
        "targets": {
            "page_ratio_max": MAX_PAGE_RATIO,
            "engine_throughput_min": MIN_ENGINE_THROUGHPUT,
            "overhead_ms_max": MAX_OVERHEAD_MS,
            "upload_rss_mb_max": MAX_UPLOAD_RSS_MB,
            "dashboard_share_min": MIN_DASHBOARD_SHARE,
        },
        "pages": [
            {
                **asdict(row),
                "time_ratio": round(row.time_ratio, 2),
                "bytes_ratio": round(row.bytes_ratio, 2),
                "meets_target": row.ok,
            }
            for row in results.pages
        ],
        **results.figures,
    }


def table(results: Results) -> list[str]:
    small, large = results.sizes
    lines = [
        f"{'page':<44}{'queries':>11}{'KB ' + str(small):>10}{'KB ' + str(large):>10}"
        f"{'x':>6}{'ms ' + str(small):>10}{'ms ' + str(large):>10}{'x':>6}  target",
    ]
    for row in results.pages:
        if row.status != "ok":
            lines.append(f"{row.name:<44}{row.status:>11}")
            continue
        lines.append(
            f"{row.name[:43]:<44}{f'{row.queries[0]}/{row.queries[1]}':>11}"
            f"{row.html_bytes[0] / 1024:>10.1f}{row.html_bytes[1] / 1024:>10.1f}"
            f"{row.bytes_ratio:>6.2f}{row.ms[0]:>10.1f}{row.ms[1]:>10.1f}{row.time_ratio:>6.2f}"
            f"  {'ok' if row.ok else 'MISSED'}"
        )
    figures = results.figures
    engine = figures.get("engine", {})
    if engine:
        lines.append(
            f"offline engine {engine['engine_ms']} ms vs bare Pillow {engine['bare_pillow_ms']} ms:"
            f" throughput {engine['throughput_vs_pillow']}x (target ≥ {MIN_ENGINE_THROUGHPUT})"
        )
    overhead = figures.get("overhead", {})
    if overhead:
        lines.append(
            f"platform overhead {overhead['overhead_ms']} ms per generation (create"
            f" {overhead['create_ms']} + worker {overhead['worker_ms']} - engine"
            f" {overhead['engine_ms']}; target ≤ {MAX_OVERHEAD_MS:.0f})"
        )
    rss = figures.get("upload_rss_mb")
    if rss:
        lines.append(
            f"peak RSS added by a 12 MP upload: product photo {rss['product']} MB, likeness"
            f" photo (with thumbnail) {rss['thumbnail']} MB (target ≤ {MAX_UPLOAD_RSS_MB:.0f})"
        )
    load_figures = figures.get("load")
    if load_figures:
        lines.append(
            f"gunicorn 2 workers: dashboard {load_figures['dashboard_rps']} req/s vs /healthz"
            f" {load_figures['healthz_rps']} req/s = {load_figures['dashboard_share']}x"
            f" (target ≥ {MIN_DASHBOARD_SHARE})"
        )
    return lines
