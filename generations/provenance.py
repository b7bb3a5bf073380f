"""Content Credentials (C2PA) on every generated image: signing and reading.

Every output says, in the industry's own standard, that it is AI-made (a
``c2pa.actions`` assertion with ``c2pa.created`` and the IPTC digital source
type) and under which generation and consent it was made (our own
``com.modelsnapper.generation`` assertion: ids only, no personal data).

Signing credentials: ``C2PA_SIGN_CERT`` / ``C2PA_SIGN_KEY`` (PEM files: the
certificate chain, leaf first, and its private key) in production. Otherwise a
local ES256 CA and signer certificate created once in ``C2PA_LOCAL_DIR``
(``manage.py ensure_local_signer``, or lazily on first signing). The local CA's
private key is thrown away after it signed the signer certificate, so nothing
else can ever be issued under it.

Reading tells "signed by ModelSnapper" from "signed by someone else" by
validating the signer's chain against our own anchors (the local CA, or the
issuers in the production chain) and matching the signer certificate's serial
number and issuer: a forged manifest that merely copies our assertion label is
reported as such.

Reading never touches the network (no remote manifest, no OCSP: a file names those URLs),
and validation codes are classified as c2pa-rs rates them (see ``classify``). With
``C2PA_TSA_URL`` every signature carries an RFC 3161 time-stamp, so an output stays ours
after the signing certificate expires (``C2PA_TSA_ROOTS``: the TSA roots a reader trusts).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from generations.engines.base import EngineError
from modelsnapper.errors import DomainError
from modelsnapper.images import decode_slot

logger = logging.getLogger(__name__)

ASSERTION_LABEL = "com.modelsnapper.generation"
ASSERTION_SCHEMA = 1
IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
CLAIM_GENERATOR = {"name": "ModelSnapper", "version": "1.0"}

LOCAL_CA_FILE = "ca.pem"
LOCAL_CHAIN_FILE = "signer-chain.pem"
LOCAL_KEY_FILE = "signer-key.pem"
LOCAL_FILES = (LOCAL_CA_FILE, LOCAL_CHAIN_FILE, LOCAL_KEY_FILE)

SOURCE_TYPE_LABELS = {
    "trainedAlgorithmicMedia": "Created by a generative AI model",
    "compositeSynthetic": "Composite of images, including synthetic elements",
    "compositeWithTrainedAlgorithmicMedia": "Composite including generative AI",
    "algorithmicMedia": "Created by an algorithm",
    "digitalCapture": "Captured by a camera",
}
WEARER_TYPE_LABELS = {"AI_AVATAR": "AI avatar", "HUMAN_MODEL": "Human model"}

# How c2pa-rs's validation codes read (sdk/src/validation_results.rs, validation_status.rs).
# c2pa-rs itself rates a store Valid/Trusted with CAWG identity failures and with an
# untrusted signer: neither says the file changed. Every other failure code does, except
# those sorted below.
_UNTRUSTED_SIGNER = frozenset({"signingCredential.untrusted"})
# The signer's certificate was not good when it signed (or has been withdrawn): the bytes
# may be unchanged, but the signature vouches for nothing.
_INVALID_SIGNER = frozenset(
    {
        "signingCredential.expired",
        "signingCredential.ocsp.revoked",
        "signingCredential.invalid",
        "claimSignature.outsideValidity",
    }
)
# The validator could not decide: an algorithm it does not know, a pre-release manifest,
# or something stored elsewhere that it must not fetch.
_CANNOT_CHECK = frozenset(
    {
        "algorithm.unsupported",
        "com.adobe.prerelease",
        "manifest.inaccessible",
        "assertion.inaccessible",
        "signingCredential.ocsp.unknown",
    }
)
# Informational in c2pa-rs (never failures), though older stores list them among
# ``validation_status``.
_INFORMATIONAL = frozenset(
    {
        "signingCredential.ocsp.skipped",
        "signingCredential.ocsp.inaccessible",
        "timeStamp.mismatch",
        "timeStamp.malformed",
        "timeStamp.outsideValidity",
        "timeStamp.untrusted",
        "manifest.unknownProvenance",
        "manifest.unreferenced",
        "ingredient.unknownProvenance",
        "algorithm.deprecated",
        "timeOfSigning.insideValidity",
        "assertion.dataHash.additionalExclusionsPresent",
    }
)
_IDENTITY_PREFIX = "cawg."  # CAWG identity assertions: who made it, reported on its own
_SIGNER_CODES = _UNTRUSTED_SIGNER | _INVALID_SIGNER
# Failures that mean "the image bytes changed" while the signed manifest is unaltered.
_PIXEL_ONLY_FAILURES = frozenset(
    {"assertion.dataHash.mismatch", "assertion.bmffHash.mismatch", "assertion.boxesHash.mismatch"}
)

# Verdicts on a read manifest.
INTACT = "intact"
TAMPERED = "tampered"
INVALID_SIGNER = "invalid_signer"
CANNOT_CHECK = "cannot_check"
VERDICT_LABELS = {
    INTACT: "Intact",
    TAMPERED: "Tampered",
    INVALID_SIGNER: "Invalid signer",
    CANNOT_CHECK: "Cannot be checked",
}


def is_tampering_code(code: str) -> bool:
    return not (
        code.startswith(_IDENTITY_PREFIX)
        or code in _SIGNER_CODES
        or code in _CANNOT_CHECK
        or code in _INFORMATIONAL
    )


def classify(failures: list[str] | tuple[str, ...], *, has_manifest: bool = True) -> str:
    """One verdict for a manifest's failure codes, the way c2pa-rs rates them."""
    if not has_manifest or any(is_tampering_code(code) for code in failures):
        return TAMPERED
    if any(code in _INVALID_SIGNER for code in failures):
        return INVALID_SIGNER
    if any(code in _CANNOT_CHECK for code in failures):
        return CANNOT_CHECK
    return INTACT


# Report statuses.
NOT_AN_IMAGE = "not_an_image"
UNSUPPORTED = "unsupported"
NO_MANIFEST = "no_manifest"
REMOTE_ONLY = "remote_only"  # the file only names a manifest stored elsewhere (never fetched)
DAMAGED = "damaged"
READ = "read"


class ProvenanceCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    BAD_INFO = "bad_info"
    BAD_SIGNING_CERT = "bad_signing_cert"
    BAD_SIGNING_KEY = "bad_signing_key"
    LOCAL_SIGNER_INCOMPLETE = "local_signer_incomplete"
    NOT_JPEG = "not_jpeg"
    SIGN_FAILED = "sign_failed"
    TSA_FAILED = "tsa_failed"
    SIGNER_CONFIG = "signer_config"


class ProvenanceError(EngineError):
    """Content Credentials could not be written; ``user_message`` is safe to show.

    An EngineError, so a job that cannot sign its output fails and refunds like any other
    engine failure (or, when only the time-stamp authority did not answer, runs again
    later): no unsigned output is ever stored.
    """

    def __init__(
        self, user_message: str, *, code: str = "provenance_error", retryable: bool = False
    ) -> None:
        super().__init__(user_message, code=code, retryable=retryable)


@dataclass(frozen=True)
class ProvenanceInfo:
    generation_id: str
    wearer_type: str  # generations.models.ModelType value
    digital_source_type: str  # an IPTC digital source type URL
    consent_request_id: str | None = None
    release_version: str | None = None
    usage_limits: list[str] | tuple[str, ...] | None = None
    engine_name: str = ""
    # The licence record (generations.licence) a human-model output was made under.
    licence_record_id: str | None = None
    licence_record_sha256: str | None = None


@dataclass(frozen=True)
class SignerSummary:
    common_name: str
    issuer: str
    serial_number: str
    algorithm: str
    signed_at: str | None = None


@dataclass(frozen=True)
class CredentialReport:
    """What an image's Content Credentials say. Built for any bytes; never raises."""

    status: str  # NOT_AN_IMAGE | UNSUPPORTED | NO_MANIFEST | REMOTE_ONLY | DAMAGED | READ
    message: str  # one plain sentence for the person who uploaded the file
    image_format: str | None = None
    has_manifest: bool = False
    # Signed with ModelSnapper's own certificate (chain and identity checked).
    is_modelsnapper: bool = False
    # Carries our assertion label, whoever signed it.
    claims_modelsnapper: bool = False
    intact: bool = False
    tampered: bool = False
    validation_state: str | None = None
    failure_codes: tuple[str, ...] = ()
    # INTACT | TAMPERED | INVALID_SIGNER | CANNOT_CHECK for a read manifest, else "".
    verdict: str = ""
    # CAWG identity results (who vouches for the content), not about whether it changed.
    identity_codes: tuple[str, ...] = ()
    timestamped: bool = False  # an RFC 3161 time-stamp was validated
    assertion: dict[str, Any] | None = None
    actions: tuple[str, ...] = ()
    digital_source_type: str | None = None
    signer: SignerSummary | None = None
    claim_generator: str | None = None
    checked: bool = True  # read back from the file (False: what we wrote, from our records)
    extra: dict[str, Any] = field(default_factory=dict)

    # Dotted access for templates (the badge partial reads these).
    @property
    def generation_id(self) -> str | None:
        return (self.assertion or {}).get("generationId")

    @property
    def wearer_type(self) -> str | None:
        return (self.assertion or {}).get("wearerType")

    @property
    def wearer_type_label(self) -> str:
        return WEARER_TYPE_LABELS.get(self.wearer_type or "", self.wearer_type or "")

    @property
    def consent_request_id(self) -> str | None:
        return (self.assertion or {}).get("consentRequestId")

    @property
    def release_version(self) -> str | None:
        return (self.assertion or {}).get("releaseVersion")

    @property
    def usage_limits(self) -> list[str]:
        return list((self.assertion or {}).get("usageLimits") or [])

    @property
    def licence_record_id(self) -> str | None:
        return (self.assertion or {}).get("licenceRecordId")

    @property
    def licence_record_sha256(self) -> str | None:
        return (self.assertion or {}).get("licenceRecordSha256")

    @property
    def engine(self) -> str:
        return (self.assertion or {}).get("engine") or ""

    @property
    def manifest_authentic(self) -> bool:
        """The signed manifest itself is unaltered (only the pixels may have changed).

        Then the generation it names is genuine even when the image was edited.
        """
        return self.has_manifest and all(
            not is_tampering_code(code) or code in _PIXEL_ONLY_FAILURES
            for code in self.failure_codes
        )

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict, "")

    @property
    def ai_generated(self) -> bool:
        source = self.digital_source_type or ""
        return source.startswith(IPTC_PREFIX) and source.removeprefix(IPTC_PREFIX) in {
            "trainedAlgorithmicMedia",
            "compositeSynthetic",
            "compositeWithTrainedAlgorithmicMedia",
            "algorithmicMedia",
        }

    @property
    def digital_source_label(self) -> str:
        source = (self.digital_source_type or "").removeprefix(IPTC_PREFIX)
        return SOURCE_TYPE_LABELS.get(source, source)


# --- signing credentials ---------------------------------------------------------------


@dataclass(frozen=True)
class SigningCredentials:
    chain_pem: bytes  # leaf first
    key_pem: bytes
    algorithm: c2pa.C2paSigningAlg
    leaf: x509.Certificate
    anchors_pem: str  # the issuers a reader must chain our signer to
    source: str  # "configured" | "local"


def local_dir() -> Path:
    return Path(settings.C2PA_LOCAL_DIR)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ModelSnapper"),
        ]
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def _make_local_signer() -> dict[str, bytes]:
    """A fresh ES256 CA and a signer certificate under it (C2PA's profile: a CA above the
    signer, digitalSignature key usage, an extended key usage such as emailProtection)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("ModelSnapper Local Content Credentials CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("ModelSnapper Content Credentials (local)"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    return {
        LOCAL_CA_FILE: ca_pem,
        LOCAL_CHAIN_FILE: leaf.public_bytes(serialization.Encoding.PEM) + ca_pem,
        LOCAL_KEY_FILE: key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    }


def ensure_local_signer(directory: Path | None = None) -> bool:
    """Create the local CA + signer in ``directory`` unless present. True if created.

    Written to a temporary folder and renamed into place, so two processes starting at
    once never mix one's certificate with the other's key: the loser's rename fails and
    it uses the winner's files.
    """
    directory = Path(directory or local_dir())
    if all((directory / name).is_file() for name in LOCAL_FILES):
        return False
    if directory.exists() and any(directory.iterdir()):
        raise ProvenanceError(
            f"{directory} exists but does not hold a complete local signer "
            f"({', '.join(LOCAL_FILES)}). Delete the folder to create a new one.",
            code=ProvenanceCode.LOCAL_SIGNER_INCOMPLETE,
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=directory.parent))
    try:
        for name, content in _make_local_signer().items():
            path = staging / name
            path.write_bytes(content)
            path.chmod(0o600 if name == LOCAL_KEY_FILE else 0o644)
        staging.chmod(0o700)
        try:
            # Replaces a missing or empty folder; fails if another process won.
            os.rename(staging, directory)
        except OSError:
            if all((directory / name).is_file() for name in LOCAL_FILES):
                return False
            raise
        return True
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _algorithm_for(key_pem: bytes) -> c2pa.C2paSigningAlg:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise ProvenanceError(
            "The C2PA signing key could not be read (an unencrypted PEM private key is needed).",
            code=ProvenanceCode.BAD_SIGNING_KEY,
        ) from error
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {
            "secp256r1": c2pa.C2paSigningAlg.ES256,
            "secp384r1": c2pa.C2paSigningAlg.ES384,
            "secp521r1": c2pa.C2paSigningAlg.ES512,
        }
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    raise ProvenanceError(
        "The C2PA signing key type is not supported (use EC P-256/384/521, RSA or Ed25519).",
        code=ProvenanceCode.BAD_SIGNING_KEY,
    )


def _credentials_from(chain_pem: bytes, key_pem: bytes, *, source: str) -> SigningCredentials:
    try:
        certificates = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as error:
        raise ProvenanceError(
            "The C2PA signing certificate could not be read (a PEM chain, leaf first, is needed).",
            code=ProvenanceCode.BAD_SIGNING_CERT,
        ) from error
    leaf, issuers = certificates[0], certificates[1:]
    anchors = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (issuers or [leaf]))
    return SigningCredentials(
        chain_pem=chain_pem,
        key_pem=key_pem,
        algorithm=_algorithm_for(key_pem),
        leaf=leaf,
        anchors_pem=anchors.decode("ascii"),
        source=source,
    )


def configured_paths() -> tuple[Path, Path] | None:
    cert, key = settings.C2PA_SIGN_CERT, settings.C2PA_SIGN_KEY
    if not cert and not key:
        return None
    if not cert or not key:
        raise ProvenanceError(
            "C2PA_SIGN_CERT and C2PA_SIGN_KEY must be set together.",
            code=ProvenanceCode.SIGNER_CONFIG,
        )
    return Path(cert), Path(key)


def signing_credentials(*, create: bool = True) -> SigningCredentials | None:
    """The credentials outputs are signed with (None only when create=False and none exist)."""
    paths = configured_paths()
    if paths is not None:
        try:
            chain_pem, key_pem = paths[0].read_bytes(), paths[1].read_bytes()
        except OSError as error:
            raise ProvenanceError(
                f"The C2PA signing certificate or key cannot be read: {error.strerror}.",
                code=ProvenanceCode.SIGNER_CONFIG,
            ) from error
        return _credentials_from(chain_pem, key_pem, source="configured")
    directory = local_dir()
    if create:
        ensure_local_signer(directory)
    elif not all((directory / name).is_file() for name in LOCAL_FILES):
        return None
    return _credentials_from(
        (directory / LOCAL_CHAIN_FILE).read_bytes(),
        (directory / LOCAL_KEY_FILE).read_bytes(),
        source="local",
    )


# --- signing ---------------------------------------------------------------------------


def build_manifest(info: ProvenanceInfo) -> dict[str, Any]:
    software = "ModelSnapper" + (f" ({info.engine_name} engine)" if info.engine_name else "")
    return {
        "claim_generator_info": [CLAIM_GENERATOR],
        "title": f"modelsnapper-{info.generation_id}.jpg",
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": info.digital_source_type,
                            "softwareAgent": {"name": software},
                        }
                    ]
                },
            },
            {
                "label": ASSERTION_LABEL,
                "data": {
                    "schema": ASSERTION_SCHEMA,
                    "generationId": info.generation_id,
                    "wearerType": info.wearer_type,
                    "consentRequestId": info.consent_request_id,
                    "releaseVersion": info.release_version,
                    "usageLimits": list(info.usage_limits) if info.usage_limits else None,
                    "engine": info.engine_name or None,
                    "aiGenerated": True,
                    **(
                        {
                            "licenceRecordId": info.licence_record_id,
                            "licenceRecordSha256": info.licence_record_sha256,
                        }
                        if info.licence_record_id
                        else {}
                    ),
                },
            },
        ],
    }


def _builder_context() -> c2pa.Context:
    # No embedded thumbnail: the image is its own preview, and it halves the overhead.
    return c2pa.Context(
        settings=c2pa.Settings.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    )


def _signing_error(error: c2pa.C2paError, *, tsa_url: str | None) -> ProvenanceError:
    # The key and certificate were read and checked above, so with a TSA configured a
    # signature-stage failure is the TSA's (down, refused, an HTTP error): nothing is wrong
    # with the image, and trying later can succeed.
    if tsa_url and (
        isinstance(error, c2pa.C2paError.Signature) or "time stamp" in str(error).lower()
    ):
        return ProvenanceError(
            "The time-stamp service did not answer, so the Content Credentials could not be "
            "signed. Please try again later.",
            code=ProvenanceCode.TSA_FAILED,
            retryable=True,
        )
    return ProvenanceError(
        f"The Content Credentials could not be signed ({error}).",
        code=ProvenanceCode.SIGN_FAILED,
    )


def sign_output(jpeg: bytes, *, info: ProvenanceInfo) -> bytes:
    """``jpeg`` with a signed C2PA manifest embedded. Raises ProvenanceError."""
    if not info.generation_id or not info.wearer_type:
        raise ProvenanceError(
            "A generation id and wearer type are required.", code=ProvenanceCode.BAD_INFO
        )
    if not info.digital_source_type.startswith(IPTC_PREFIX):
        raise ProvenanceError(
            "The digital source type must be an IPTC digital source type URL.",
            code=ProvenanceCode.BAD_INFO,
        )
    if not jpeg.startswith(b"\xff\xd8"):
        raise ProvenanceError("Only JPEG outputs can be signed.", code=ProvenanceCode.NOT_JPEG)
    credentials = signing_credentials()
    assert credentials is not None
    tsa_url = settings.C2PA_TSA_URL or None
    try:
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(
                credentials.algorithm, credentials.chain_pem, credentials.key_pem, tsa_url
            )
        )
        out = io.BytesIO()
        with signer, c2pa.Builder(build_manifest(info), context=_builder_context()) as builder:
            builder.sign(signer, "image/jpeg", io.BytesIO(jpeg), out)
    except c2pa.C2paError as error:
        raise _signing_error(error, tsa_url=tsa_url) from error
    return out.getvalue()


# --- reading ---------------------------------------------------------------------------

_PIL_TO_MIME = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "TIFF": "image/tiff",
    "AVIF": "image/avif",
    "HEIF": "image/heif",
    "BMP": "image/bmp",
}


def _sniff(data: bytes) -> tuple[str | None, bool]:
    """(Pillow format, whether the pixel data decodes completely)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            if image.width * image.height > settings.VERIFY_MAX_IMAGE_PIXELS:
                return image_format, True  # too big to decode here; not our question
            try:
                # The per-process decode budget bounds memory (modelsnapper.images).
                with decode_slot(image.width * image.height):
                    image.load()
                complete = True
            except (OSError, SyntaxError, ValueError):
                complete = False
            return image_format, complete
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None, False


def _magic_format(data: bytes) -> str | None:
    """The format a file's first bytes announce (to tell a truncated image from a non-image)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


# The reader never touches the network: a remote manifest URL (XMP dcterms:provenance) or an
# OCSP responder named in a certificate is chosen by whoever made the file, so fetching it
# would let any uploader aim the server at internal addresses (blind SSRF).
READER_OFFLINE_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}


def _reader_context(anchors_pem: str | None) -> c2pa.Context:
    values: dict[str, Any] = {**READER_OFFLINE_SETTINGS}
    if anchors_pem:
        values["trust"] = {"user_anchors": anchors_pem}
    return c2pa.Context(settings=c2pa.Settings.from_dict(values))


def _is_remote_only(error: c2pa.C2paError) -> bool:
    """c2pa refused to fetch a manifest the file only points to (fetching is off)."""
    return isinstance(error, c2pa.C2paError.RemoteManifest) or str(error).startswith("Remote")


def _our_credentials() -> SigningCredentials | None:
    try:
        return signing_credentials(create=False)
    except ProvenanceError:
        return None


def _tsa_roots_pem() -> str:
    """The time-stamp authority roots a reader trusts (C2PA_TSA_ROOTS), or ""."""
    path = settings.C2PA_TSA_ROOTS
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        logger.warning("C2PA_TSA_ROOTS (%s) cannot be read; time-stamps read as untrusted", path)
        return ""


def read_credentials(data: bytes) -> CredentialReport:
    """Read and validate the Content Credentials in ``data``. Never raises on bad input
    (only DomainError when the per-process decode budget has no room: busy)."""
    try:
        return _read_credentials(data)
    except DomainError:
        raise  # the decode budget is spent (busy): the caller says so, nothing is wrong
    except Exception:  # a hostile file must get an answer, never a server error
        logger.exception("Reading Content Credentials failed unexpectedly")
        return CredentialReport(
            status=DAMAGED,
            message="This file's Content Credentials could not be checked: the file is damaged.",
        )


def _read_credentials(data: bytes) -> CredentialReport:
    if not data:
        return CredentialReport(status=NOT_AN_IMAGE, message="The file is empty.")
    image_format, complete = _sniff(data)
    if image_format is None and (claimed := _magic_format(data)):
        return CredentialReport(
            status=DAMAGED,
            image_format=claimed,
            message=(
                f"This file starts like a {claimed} image but is incomplete or damaged, so its "
                "Content Credentials cannot be checked."
            ),
        )
    if image_format is None:
        return CredentialReport(
            status=NOT_AN_IMAGE,
            message="This file is not an image we can read (JPEG, PNG or WebP, for example).",
        )
    mime = _PIL_TO_MIME.get(image_format)
    if mime is None or mime not in c2pa.Reader.get_supported_mime_types():
        return CredentialReport(
            status=UNSUPPORTED,
            image_format=image_format,
            message=f"{image_format} images cannot carry Content Credentials.",
        )
    ours = _our_credentials()
    try:
        anchors = (ours.anchors_pem if ours else "") + _tsa_roots_pem()
        context = _reader_context(anchors or None)
        reader = c2pa.Reader(mime, io.BytesIO(data), context=context)
    except c2pa.C2paError.ManifestNotFound:
        return CredentialReport(
            status=NO_MANIFEST,
            image_format=image_format,
            message=(
                "This image carries no Content Credentials, so nothing here traces it to "
                "ModelSnapper." + ("" if complete else " Its image data is also incomplete.")
            ),
        )
    except c2pa.C2paError as error:
        if _is_remote_only(error):
            return CredentialReport(
                status=REMOTE_ONLY,
                image_format=image_format,
                message=(
                    "This image does not carry its Content Credentials: it only points to a copy "
                    "stored elsewhere, which we do not fetch, so nothing here can be checked."
                ),
                extra={"error": str(error)[:300]},
            )
        return CredentialReport(
            status=DAMAGED,
            image_format=image_format,
            message=(
                "This file is incomplete or damaged, so its Content Credentials cannot be checked."
            ),
            extra={"error": str(error)[:300]},
        )
    try:
        with reader:
            store = json.loads(reader.json())
    except (c2pa.C2paError, ValueError) as error:
        return CredentialReport(
            status=DAMAGED,
            image_format=image_format,
            message="This file's Content Credentials are damaged and cannot be read.",
            extra={"error": str(error)[:300]},
        )
    return _report_from_store(store, image_format=image_format, ours=ours)


def _codes(entries: Any) -> list[str]:
    return [e["code"] for e in entries or [] if isinstance(e, dict) and "code" in e]


def _failure_codes(store: dict[str, Any]) -> list[str]:
    """The active manifest's failure codes, informational ones left out (older stores list
    them in ``validation_status``)."""
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    codes = _codes(results.get("failure")) + _codes(store.get("validation_status"))
    return [code for code in dict.fromkeys(codes) if code not in _INFORMATIONAL]


def _assertions(manifest: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """(our assertion, the action names, the created action's digital source type)."""
    assertion, actions, source = None, [], None
    for entry in manifest.get("assertions") or []:
        label = entry.get("label", "")
        data = entry.get("data")
        if label == ASSERTION_LABEL and isinstance(data, dict):
            assertion = data
        elif label.startswith("c2pa.actions") and isinstance(data, dict):
            for action in data.get("actions") or []:
                if isinstance(action, dict):
                    actions.append(str(action.get("action", "")))
                    if action.get("action") == "c2pa.created" and source is None:
                        source = action.get("digitalSourceType")
    return assertion, actions, source


_VERDICT_MESSAGES = {
    TAMPERED: "The Content Credentials do not match this file: it was changed after it was signed.",
    INVALID_SIGNER: (
        "This file is unchanged since it was signed, but the signer's certificate was expired, "
        "revoked or not valid for signing, so the signature vouches for nothing."
    ),
    CANNOT_CHECK: (
        "These Content Credentials cannot be checked here (an unknown signature algorithm, a "
        "pre-release manifest or a part stored elsewhere); that is not a sign of damage."
    ),
}


def _message(verdict: str, *, is_ours: bool, claims_ours: bool) -> str:
    if verdict in _VERDICT_MESSAGES:
        return _VERDICT_MESSAGES[verdict]
    if is_ours and claims_ours:
        return "This image carries an intact ModelSnapper Content Credential."
    if claims_ours:
        return (
            "This image claims to come from ModelSnapper, but it was not signed with "
            "ModelSnapper's certificate."
        )
    return "This image carries Content Credentials from another signer, not from ModelSnapper."


def _signer(manifest: dict[str, Any]) -> SignerSummary:
    info = manifest.get("signature_info") or {}
    return SignerSummary(
        common_name=str(info.get("common_name") or ""),
        issuer=str(info.get("issuer") or ""),
        serial_number=str(info.get("cert_serial_number") or ""),
        algorithm=str(info.get("alg") or ""),
        signed_at=info.get("time"),
    )


def _report_from_store(
    store: dict[str, Any], *, image_format: str, ours: SigningCredentials | None
) -> CredentialReport:
    manifests = store.get("manifests") or {}
    manifest = manifests.get(store.get("active_manifest") or "") or {}
    all_failures = _failure_codes(store)
    identity = tuple(c for c in all_failures if c.startswith(_IDENTITY_PREFIX))
    failures = [c for c in all_failures if not c.startswith(_IDENTITY_PREFIX)]
    successes = _codes(
        ((store.get("validation_results") or {}).get("activeManifest") or {}).get("success")
    )
    verdict = classify(failures, has_manifest=bool(manifest))
    assertion, actions, source = _assertions(manifest)
    signer = _signer(manifest)
    trusted = "signingCredential.trusted" in successes or store.get("validation_state") == "Trusted"
    is_ours = bool(
        ours is not None
        and trusted
        and signer.serial_number == str(ours.leaf.serial_number)
        and not any(code in _SIGNER_CODES for code in failures)
    )
    generators = manifest.get("claim_generator_info") or []
    generator = (
        generators[0].get("name") if generators and isinstance(generators[0], dict) else None
    )
    return CredentialReport(
        status=READ,
        message=_message(verdict, is_ours=is_ours, claims_ours=assertion is not None),
        image_format=image_format,
        has_manifest=True,
        is_modelsnapper=is_ours and assertion is not None,
        claims_modelsnapper=assertion is not None,
        intact=verdict == INTACT,
        tampered=verdict == TAMPERED,
        validation_state=store.get("validation_state"),
        failure_codes=tuple(failures),
        verdict=verdict,
        identity_codes=identity,
        timestamped="timeStamp.validated" in successes,
        assertion=assertion,
        actions=tuple(actions),
        digital_source_type=source,
        signer=signer,
        claim_generator=generator,
    )


def expected_credentials(info: ProvenanceInfo) -> CredentialReport:
    """What we wrote into an output, from our own records (for the badge, without re-reading)."""
    manifest = build_manifest(info)
    assertion = manifest["assertions"][1]["data"]
    return CredentialReport(
        status=READ,
        message="Signed with ModelSnapper's Content Credentials when it was made.",
        image_format="JPEG",
        has_manifest=True,
        is_modelsnapper=True,
        claims_modelsnapper=True,
        intact=True,
        verdict=INTACT,
        assertion=assertion,
        actions=("c2pa.created",),
        digital_source_type=info.digital_source_type,
        claim_generator=CLAIM_GENERATOR["name"],
        checked=False,
    )


def read_stored_credentials(key: str) -> CredentialReport:
    """Read the credentials of an output in private storage (for generation pages)."""
    from modelsnapper.storage import read_private

    try:
        data = read_private(key)
    except Exception:  # any storage failure reads as "missing" on a page
        return CredentialReport(status=NOT_AN_IMAGE, message="The stored image is missing.")
    return read_credentials(data)
