"""Files the Content Credentials tests make themselves (nothing downloaded): loopback
listeners, JPEGs that only point to a remote manifest, and throw-away CAs and signers."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from PIL import Image

from conftest import real_clock

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@dataclass
class Listener:
    url: str
    requests: list[str]


@contextmanager
def loopback_listener() -> Iterator[Listener]:
    """An HTTP server on 127.0.0.1 that records every request it receives (and answers 404)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Listener(url=f"http://127.0.0.1:{server.server_port}", requests=seen)
    finally:
        server.shutdown()
        server.server_close()


def plain_jpeg(
    size: tuple[int, int] = (96, 96), color: tuple[int, int, int] = (40, 90, 160)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", quality=90)
    return out.getvalue()


def jpeg_pointing_to_remote_manifest(url: str) -> bytes:
    """A JPEG with no embedded manifest whose XMP names one at ``url`` (C2PA's
    ``dcterms:provenance`` remote-manifest reference)."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        f'xmlns:dcterms="http://purl.org/dc/terms/" dcterms:provenance="{url}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()
    segment = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    app1 = b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment
    jpeg = plain_jpeg()
    return jpeg[:2] + app1 + jpeg[2:]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Signer Co"),
        ]
    )


@dataclass(frozen=True)
class TestSigner:
    chain_pem: bytes
    key_pem: bytes
    ca_pem: bytes
    leaf: x509.Certificate


def make_signer(
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ocsp_url: str | None = None,
    common_name: str = "Test signer",
) -> TestSigner:
    """An ES256 CA and a C2PA-profile signer certificate under it, valid as given
    (times on the real clock: c2pa-rs judges them by the machine's time)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{common_name} CA")
    ca_start = min(not_before, real_now()) - dt.timedelta(days=1)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ca_start)
        .not_valid_after(ca_start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    leaf = builder.sign(ca_key, hashes.SHA256())
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    return TestSigner(
        chain_pem=leaf.public_bytes(serialization.Encoding.PEM) + ca_pem,
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        ca_pem=ca_pem,
        leaf=leaf,
    )


def sign_with(
    signer: TestSigner,
    jpeg: bytes,
    manifest: dict[str, Any] | None = None,
    *,
    tsa_url: str | None = None,
) -> bytes:
    """``jpeg`` signed by ``signer`` with a plain third-party manifest (or ``manifest``)."""
    manifest = manifest or {
        "claim_generator_info": [{"name": "SomeCamera", "version": "1"}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": CAPTURE,
                        }
                    ]
                },
            }
        ],
    }
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, signer.chain_pem, signer.key_pem, tsa_url)
    out = io.BytesIO()
    with c2pa.Signer.from_info(info) as c2pa_signer, c2pa.Builder(manifest) as builder:
        builder.sign(c2pa_signer, "image/jpeg", io.BytesIO(jpeg), out)
    return out.getvalue()


def sign_with_cawg_identity(signer: TestSigner, identity: TestSigner, jpeg: bytes) -> bytes:
    """``jpeg`` signed by ``signer`` with a CAWG X.509 identity assertion by ``identity``
    (the shape of c2pa-rs's ``C_with_CAWG_data.jpg``), through c2pa's settings-built signer."""
    settings = {
        "signer": {
            "local": {
                "alg": "es256",
                "sign_cert": signer.chain_pem.decode(),
                "private_key": signer.key_pem.decode(),
            }
        },
        "cawg_x509_signer": {
            "local": {
                "alg": "es256",
                "sign_cert": identity.chain_pem.decode(),
                "private_key": identity.key_pem.decode(),
                "referenced_assertions": ["c2pa.actions"],
            }
        },
    }
    manifest = {
        "claim_generator_info": [{"name": "c2pa cawg test", "version": "1"}],
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": CAPTURE}]},
            }
        ],
    }
    out = io.BytesIO()
    context = c2pa.Context(settings=c2pa.Settings.from_dict(settings))
    with c2pa.Builder(manifest, context=context) as builder:
        # c2pa-python only lets a Context carry a Signer object, but the library builds the
        # signer (and the CAWG identity signer around it) from these settings; tell the
        # wrapper it may ask the context for it.
        builder._has_context_signer = True
        builder.sign("image/jpeg", io.BytesIO(jpeg), out)
    return out.getvalue()


def real_now() -> dt.datetime:
    with real_clock():
        return dt.datetime.now(dt.UTC)


def short_lived_signer(seconds: float = 2.0) -> TestSigner:
    now = real_now()
    return make_signer(
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(seconds=seconds),
        common_name="Short-lived signer",
    )


def wait_until_expired(signer: TestSigner) -> None:
    remaining = (signer.leaf.not_valid_after_utc - real_now()).total_seconds()
    time.sleep(max(0.0, remaining) + 1.1)  # certificate times have whole seconds


# --- a local RFC 3161 time-stamp authority built on `openssl ts` ------------------------

_TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa-ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class TimeStampAuthority:
    url: str
    ca_pem: bytes
    requests: list[int]  # the size of each time-stamp query answered


def _tsa_certificates(directory: Path) -> bytes:
    now = real_now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Test TSA root")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    (directory / "tsa-ca.pem").write_bytes(ca_pem)
    (directory / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "serial").write_text("01\n")
    (directory / "ts.cnf").write_text(_TSA_CONFIG.format(dir=directory))
    return ca_pem


@contextmanager
def local_tsa(directory: Path) -> Iterator[TimeStampAuthority]:
    """An RFC 3161 time-stamp authority on 127.0.0.1: each POSTed TimeStampReq is answered
    by ``openssl ts -reply`` with a token signed by a throw-away TSA certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem = _tsa_certificates(directory)
    answered: list[int] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                (directory / "query.tsq").write_bytes(query)
                result = subprocess.run(
                    [
                        "openssl",
                        "ts",
                        "-reply",
                        "-config",
                        str(directory / "ts.cnf"),
                        "-queryfile",
                        str(directory / "query.tsq"),
                        "-out",
                        str(directory / "reply.tsr"),
                    ],
                    capture_output=True,
                    check=False,
                )
                reply = (directory / "reply.tsr").read_bytes() if result.returncode == 0 else b""
                answered.append(len(query))
            if not reply:
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TimeStampAuthority(
            url=f"http://127.0.0.1:{server.server_port}/", ca_pem=ca_pem, requests=answered
        )
    finally:
        server.shutdown()
        server.server_close()
