"""Example outputs for the landing page, made at seed time by the real offline engine.

``seed_demo`` draws a few product photos (garments on a plain background, as shops
shoot them), runs each through :func:`generations.engines.offline.composite` on a
stock avatar, and stores the pair under ``examples/``. The landing page shows what
was made; nothing here is hand-drawn to look like an output.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from generations.engines.offline import composite
from marketplace.avatar_art import DEMO_AVATARS, TORSO_BOX, avatar_jpeg_bytes
from modelsnapper import storage
from modelsnapper.garments import GarmentCategory

EXAMPLE_PREFIX = "examples"
EXAMPLES_CACHE_KEY = "home:examples-available"
EXAMPLES_CACHE_SECONDS = 300


@dataclass(frozen=True)
class Example:
    slug: str
    garment: str  # what the caption says
    color: tuple[int, int, int]
    avatar_index: int
    category: str = GarmentCategory.TOP

    @property
    def output_key(self) -> str:
        return f"{EXAMPLE_PREFIX}/{self.slug}.jpg"

    @property
    def product_key(self) -> str:
        return f"{EXAMPLE_PREFIX}/{self.slug}-product.jpg"


EXAMPLES = (
    Example("red-tee", "A red T-shirt", (196, 44, 58), 0),
    Example("navy-tee", "A navy T-shirt", (34, 60, 120), 1),
    Example("olive-tee", "An olive T-shirt", (104, 112, 52), 2),
)
EXAMPLES_BY_SLUG = {example.slug: example for example in EXAMPLES}


def product_photo(color: tuple[int, int, int], size: tuple[int, int] = (480, 640)) -> bytes:
    """A T-shirt on a plain light background: the kind of photo a shop uploads."""
    image = Image.new("RGB", size, (245, 245, 242))
    w, h = size
    points = [
        (0.30, 0.15), (0.70, 0.15), (0.92, 0.32), (0.80, 0.42), (0.72, 0.36),
        (0.72, 0.85), (0.28, 0.85), (0.28, 0.36), (0.20, 0.42), (0.08, 0.32),
    ]  # fmt: skip
    ImageDraw.Draw(image).polygon([(w * x, h * y) for x, y in points], fill=color)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def seed_examples(*, force: bool = False) -> list[Example]:
    """Make each example once (idempotent like the rest of the seed)."""
    for example in EXAMPLES:
        if not force and storage.exists_private(example.output_key):
            continue
        product = product_photo(example.color)
        output = composite(
            garment=product,
            wearer=avatar_jpeg_bytes(DEMO_AVATARS[example.avatar_index % len(DEMO_AVATARS)]),
            category=example.category,
            torso_box=TORSO_BOX,
        )
        _put(example.product_key, product)
        _put(example.output_key, output)
    cache.delete(EXAMPLES_CACHE_KEY)
    return list(EXAMPLES)


def _put(key: str, content: bytes) -> None:
    if default_storage.exists(key):
        default_storage.delete(key)
    file = ContentFile(content, name=key)
    # Read by django-storages (getattr) as the object's Content-Type on S3.
    setattr(file, "content_type", storage.content_type_for(key))  # noqa: B010
    default_storage.save(key, file)


def _available_slugs() -> list[str]:
    return [
        example.slug
        for example in EXAMPLES
        if storage.exists_private(example.output_key)
        and storage.exists_private(example.product_key)
    ]


def examples_available() -> list[Example]:
    """The examples whose output and product photo both exist (none before a seed).

    Cached briefly: on S3 each existence check is a request, and the landing page is
    the most visited page of all.
    """
    slugs = cache.get_or_set(EXAMPLES_CACHE_KEY, _available_slugs, EXAMPLES_CACHE_SECONDS) or []
    return [EXAMPLES_BY_SLUG[slug] for slug in slugs if slug in EXAMPLES_BY_SLUG]
