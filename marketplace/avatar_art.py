"""Draws the stock AI avatars locally with Pillow (no downloads, deterministic).

Each avatar is a 3:4 studio portrait of a stylised figure. ``TORSO_BOX`` is the
region, as fractions of width and height, where a garment sits; the offline
engine fits garments there.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 768, 1024
# (left, top, right, bottom) as fractions of the image size.
TORSO_BOX = (0.30, 0.31, 0.70, 0.66)


@dataclass(frozen=True)
class AvatarStyle:
    name: str
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    backdrop_top: tuple[int, int, int]
    backdrop_bottom: tuple[int, int, int]
    long_hair: bool


DEMO_AVATARS = [
    AvatarStyle(
        "AI Model Sophia", (233, 196, 170), (92, 58, 33), (236, 230, 222), (206, 198, 188), True
    ),
    AvatarStyle(
        "AI Model Amara", (141, 95, 67), (30, 22, 20), (224, 232, 236), (188, 200, 208), True
    ),
    AvatarStyle(
        "AI Model Kenji", (222, 184, 150), (25, 25, 30), (232, 228, 238), (200, 194, 212), False
    ),
    AvatarStyle(
        "AI Model Lucas", (198, 150, 116), (120, 84, 50), (238, 234, 224), (210, 204, 190), False
    ),
]


def _backdrop(style: AvatarStyle) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        color = tuple(
            round(a + (b - a) * t)
            for a, b in zip(style.backdrop_top, style.backdrop_bottom, strict=True)
        )
        draw.line([(0, y), (WIDTH, y)], fill=color)
    return image


def draw_avatar(style: AvatarStyle) -> Image.Image:
    image = _backdrop(style)
    figure = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(figure)
    cx = WIDTH // 2
    shade = tuple(max(0, c - 25) for c in style.skin)
    # legs, arms, neck, torso base layer (a neutral bodysuit the garment covers)
    suit = (58, 58, 64)
    draw.rounded_rectangle([cx - 95, 640, cx - 12, 1010], radius=30, fill=suit)
    draw.rounded_rectangle([cx + 12, 640, cx + 95, 1010], radius=30, fill=suit)
    draw.rounded_rectangle([cx - 190, 330, cx - 130, 690], radius=28, fill=style.skin)
    draw.rounded_rectangle([cx + 130, 330, cx + 190, 690], radius=28, fill=style.skin)
    draw.rounded_rectangle([cx - 32, 230, cx + 32, 320], radius=14, fill=shade)
    draw.rounded_rectangle([cx - 150, 300, cx + 150, 690], radius=60, fill=suit)
    # head and hair
    if style.long_hair:
        draw.rounded_rectangle([cx - 92, 95, cx + 92, 330], radius=80, fill=style.hair)
    draw.ellipse([cx - 75, 90, cx + 75, 265], fill=style.skin)
    draw.pieslice([cx - 80, 80, cx + 80, 230], 180, 360, fill=style.hair)
    draw.ellipse([cx - 40, 165, cx - 22, 180], fill=(40, 32, 30))
    draw.ellipse([cx + 22, 165, cx + 40, 180], fill=(40, 32, 30))
    draw.arc([cx - 25, 200, cx + 25, 230], 20, 160, fill=(150, 70, 70), width=4)
    shadow = figure.split()[3].filter(ImageFilter.GaussianBlur(18))
    shadow_layer = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 60))
    image.paste(shadow_layer, (14, 10), shadow)
    image.paste(figure, (0, 0), figure)
    return image


def avatar_jpeg_bytes(style: AvatarStyle) -> bytes:
    buffer = io.BytesIO()
    draw_avatar(style).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


# --- likeness portraits (demo data and tests: a person's face OpenCV can find) -------------

_SKINS = [(224, 180, 150), (150, 100, 70), (240, 205, 180), (190, 140, 105), (110, 75, 55)]
_HAIRS = [(60, 40, 30), (25, 22, 20), (150, 110, 60), (90, 50, 30), (200, 180, 140)]
_BACKDROPS = [(200, 205, 210), (225, 215, 200), (180, 195, 185), (210, 200, 220), (235, 235, 230)]


# Drawings OpenCV's face cascade finds, each far from the others by perceptual hash
# (measured: at least 12 of 64 bits apart).
PORTRAIT_VARIANTS = (0, 1, 3, 7, 8)


def draw_portrait(
    index: int = 0,
    size: tuple[int, int] = (600, 800),
    *,
    neck: int = 0,
    arms: bool = False,
    long_hair: bool = False,
) -> Image.Image:
    """A head-and-shoulders portrait with one frontal face, deterministic per ``index``;
    indexes 0-4 are five different photos (face shape, features, colours, framing).

    ``neck`` lengthens the neck (in the drawing's units, ~1 px at 600 px wide), ``arms`` adds
    bare arms hanging beside the body and ``long_hair`` two locks falling over the shoulders:
    the offline preview's tests use them to tell a measured body from one guessed from the face.
    """
    variant = PORTRAIT_VARIANTS[index % len(PORTRAIT_VARIANTS)]
    width, height = size
    skin = _SKINS[variant % len(_SKINS)]
    hair = _HAIRS[(variant * 2 + 1) % len(_HAIRS)]
    backdrop = _BACKDROPS[(variant * 3) % len(_BACKDROPS)]
    image = Image.new("RGB", size, backdrop)
    draw = ImageDraw.Draw(image)
    # Background stripes at a variant-specific pitch, like a studio wall.
    stripe = tuple(c - 12 for c in backdrop)
    for x in range(-height, width, 40 + (variant % 4) * 23):
        draw.line([(x, 0), (x + height // 2, height)], fill=stripe, width=6)
    s = (0.85 + (variant % 3) * 0.15) * width / 600
    cx = width // 2 + ((variant % 5) - 2) * 18
    cy = int(height * 0.41) + ((variant % 4) - 1) * 14
    narrow = 1.0 - (variant % 3) * 0.08  # face width ratio
    eye = 40 + (variant % 4) * 5  # half the distance between the eyes
    draw.ellipse((cx - 150 * s, cy - 280 * s, cx + 150 * s, cy + 40 * s), fill=hair)
    draw.ellipse(
        (cx - 110 * s * narrow, cy - 170 * s, cx + 110 * s * narrow, cy + 130 * s), fill=skin
    )
    for side in (-1, 1):
        ex = cx + side * eye * s
        draw.ellipse((ex - 24 * s, cy - 50 * s, ex + 24 * s, cy - 30 * s), fill=(250, 250, 250))
        draw.ellipse((ex - 10 * s, cy - 50 * s, ex + 10 * s, cy - 30 * s), fill=(40, 30, 25))
        brow = 72 + (variant % 3) * 4
        draw.rectangle((ex - 30 * s, cy - brow * s, ex + 30 * s, cy - (brow - 10) * s), fill=hair)
    nose = tuple(int(c * 0.85) for c in skin)
    draw.polygon(
        [(cx, cy - 30 * s), (cx - 14 * s, cy + 25 * s), (cx + 14 * s, cy + 25 * s)], fill=nose
    )
    mouth = 32 + (variant % 5) * 4
    draw.ellipse((cx - mouth * s, cy + 55 * s, cx + mouth * s, cy + 75 * s), fill=(160, 70, 70))
    draw.rectangle((cx - 40 * s, cy + 125 * s, cx + 40 * s, cy + (180 + neck) * s), fill=skin)
    clothes = ((variant * 53) % 200 + 30, (variant * 97) % 200 + 30, (variant * 31) % 200 + 30)
    shoulders = cy + (175 + neck) * s
    draw.rounded_rectangle(
        (cx - 210 * s, shoulders, cx + 210 * s, height + 40), radius=int(60 * s), fill=clothes
    )
    if arms:
        for side in (-1, 1):
            outer = cx + side * 215 * s
            inner = cx + side * 150 * s
            draw.rounded_rectangle(
                (min(outer, inner), shoulders + 90 * s, max(outer, inner), height + 40),
                radius=int(30 * s),
                fill=skin,
            )
    if long_hair:
        for side in (-1, 1):
            near, far = cx + side * 95 * s, cx + side * 150 * s
            draw.rounded_rectangle(
                (min(near, far), cy - 60 * s, max(near, far), shoulders + 140 * s),
                radius=int(24 * s),
                fill=hair,
            )
    return image.filter(ImageFilter.GaussianBlur(3))


def portrait_jpeg_bytes(variant: int = 0, size: tuple[int, int] = (600, 800)) -> bytes:
    buffer = io.BytesIO()
    draw_portrait(variant, size).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()
