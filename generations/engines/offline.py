"""The offline engine: a Pillow compositor that needs no setup and no network.

It does not pretend to be a try-on model. It cuts the garment out of a product
photo taken on a plain background, fits it to the wearer's torso and adds a
soft shadow — an honest "offline preview" of how the photo will be framed. Its
Content Credentials say ``compositeSynthetic`` accordingly.

Everything here is deterministic: the same inputs give the same bytes (no
randomness, no timestamps, no EXIF), which keeps retries idempotent and tests
exact.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps, ImageStat

from generations.engines.base import (
    OUTPUT_HEIGHT,
    OUTPUT_WIDTH,
    EngineCode,
    EngineError,
    EngineRequest,
    EngineResult,
)
from modelsnapper import faces
from modelsnapper.garments import GarmentCategory

COMPOSITE_SYNTHETIC = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"

# The garment is cut out at this size (long side); it is never shown larger.
_WORK_SIZE = 800
# Connected components and holes are found on a grid this small, in pure Python.
_GRID_SIZE = 160
# A border this uneven (mean channel standard deviation) is not a plain background.
_MAX_BORDER_SPREAD = 24.0
# Share of the photo the garment must cover to be believed.
_MIN_GARMENT_SHARE = 0.03
_MAX_GARMENT_SHARE = 0.92
# Default torso, as fractions of a 3:4 portrait: the same frame the stock avatars use.
DEFAULT_TORSO_BOX = (0.30, 0.31, 0.70, 0.66)
# Where the torso sits inside a standing figure's bounding box (measured on the avatars).
_TORSO_IN_FIGURE = (0.10, 0.255, 0.90, 0.64)

NO_GARMENT_MESSAGE = (
    "We could not find a garment in this product photo. Use a photo of the garment alone "
    "on a plain, evenly lit background that contrasts with the garment."
)
BUSY_BACKGROUND_MESSAGE = (
    "The product photo's background is not plain enough to cut the garment out. "
    "Use a photo on a plain, evenly lit background."
)


@dataclass(frozen=True)
class Cutout:
    image: Image.Image  # RGB, cropped to the garment
    alpha: Image.Image  # L, feathered, same size


def _open_rgb(data: bytes, *, what: str, max_side: int | None = None) -> Image.Image:
    image: Image.Image
    try:
        image = Image.open(io.BytesIO(data))
        if max_side and image.format == "JPEG":
            # Let the JPEG decoder scale down (by 1/2, 1/4, 1/8) while decoding.
            image.draft("RGB", (max_side, max_side))
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise EngineError(
            f"The {what} could not be read as an image.", code=EngineCode.BAD_INPUT
        ) from error
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent product shots (already cut out) are flattened on white.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _border_mask(size: tuple[int, int]) -> Image.Image:
    width, height = size
    band = max(2, min(width, height) // 25)
    mask = Image.new("L", size, 255)
    ImageDraw.Draw(mask).rectangle([band, band, width - 1 - band, height - 1 - band], fill=0)
    return mask


def estimate_background(image: Image.Image) -> tuple[tuple[int, int, int], float]:
    """Median colour of the border band and how uneven that band is."""
    stat = ImageStat.Stat(image, _border_mask(image.size))
    color = tuple(int(v) for v in stat.median[:3])
    spread = sum(stat.stddev[:3]) / 3
    return color, spread  # type: ignore[return-value]


def _distance_mask(
    image: Image.Image, background: tuple[int, int, int], spread: float
) -> Image.Image:
    """255 where a pixel differs clearly from the background colour (max channel distance)."""
    diff = ImageChops.difference(image, Image.new("RGB", image.size, background))
    red, green, blue = diff.split()
    distance = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    threshold = int(min(80, max(28, 3 * spread)))
    return distance.point(lambda v: 255 if v > threshold else 0)


def _repeat(
    mask: Image.Image,
    rank_filter: type[ImageFilter.MinFilter] | type[ImageFilter.MaxFilter],
    times: int,
) -> Image.Image:
    # n passes of a 3x3 min/max equal one (2n+1)x(2n+1) pass, at a fraction of the cost.
    for _ in range(times):
        mask = mask.filter(rank_filter(3))
    return mask


def _clean(mask: Image.Image) -> Image.Image:
    # Opening (5x5) removes specks of noise, closing (7x7) bridges seams and small gaps.
    opened = _repeat(_repeat(mask, ImageFilter.MinFilter, 2), ImageFilter.MaxFilter, 2)
    return _repeat(_repeat(opened, ImageFilter.MaxFilter, 3), ImageFilter.MinFilter, 3)


def _neighbours(index: int, width: int, height: int) -> Iterator[int]:
    """The 4-connected neighbours of a cell of a ``width`` x ``height`` grid."""
    x, y = index % width, index // width
    if x > 0:
        yield index - 1
    if x < width - 1:
        yield index + 1
    if y > 0:
        yield index - width
    if y < height - 1:
        yield index + width


def _flood(
    starts: list[int],
    passable: Callable[[int], bool],
    marks: list[int] | bytearray,
    mark: int,
    size: tuple[int, int],
) -> int:
    """Marks every passable cell reachable from ``starts`` with ``mark``; returns how many."""
    width, height = size
    for start in starts:
        marks[start] = mark
    queue = deque(starts)
    reached = 0
    while queue:
        index = queue.popleft()
        reached += 1
        for neighbour in _neighbours(index, width, height):
            if not marks[neighbour] and passable(neighbour):
                marks[neighbour] = mark
                queue.append(neighbour)
    return reached


def _largest_component_and_holes(mask: Image.Image) -> Image.Image:
    """On a small grid: keep the largest 4-connected component and fill its holes.

    A print in the background colour (a white logo on a shirt shot on white)
    would otherwise be cut out as a hole; stray props would be kept as garment.
    """
    width, height = mask.size
    scale = _GRID_SIZE / max(width, height)
    gw, gh = max(1, round(width * scale)), max(1, round(height * scale))
    grid = mask.resize((gw, gh), Image.Resampling.BOX).point(lambda v: 1 if v >= 128 else 0)
    cells = bytearray(grid.tobytes())
    labels = [0] * (gw * gh)
    best_label, best_size, label = 0, 0, 0
    for start in range(gw * gh):
        if cells[start] and not labels[start]:
            label += 1
            size = _flood([start], lambda i: bool(cells[i]), labels, label, (gw, gh))
            if size > best_size:
                best_label, best_size = label, size
    if not best_label:
        return Image.new("L", mask.size, 0)
    keep = bytearray(1 if value == best_label else 0 for value in labels)
    # Background reachable from the border stays background; the rest is a hole.
    outside = bytearray(gw * gh)
    border = [
        i
        for i in range(gw * gh)
        if not keep[i] and (i % gw in (0, gw - 1) or i // gw in (0, gh - 1))
    ]
    _flood(border, lambda i: not keep[i], outside, 1, (gw, gh))
    solid = bytes(0 if outside[i] else 255 for i in range(gw * gh))
    return Image.frombytes("L", (gw, gh), solid)


def cut_out_garment(image: Image.Image) -> Cutout:
    """Separate the garment from a plain background; EngineError when there is none."""
    image = image.copy()
    image.thumbnail((_WORK_SIZE, _WORK_SIZE), Image.Resampling.LANCZOS)
    background, spread = estimate_background(image)
    if spread > _MAX_BORDER_SPREAD:
        raise EngineError(BUSY_BACKGROUND_MESSAGE, code=EngineCode.BUSY_BACKGROUND)
    mask = _clean(_distance_mask(image, background, spread))
    grid = _largest_component_and_holes(mask)
    # The precise edge comes from the full-size mask; the grid decides which
    # blob is the garment (grown by a cell so its edge is not clipped) and fills holes.
    gate = grid.filter(ImageFilter.MaxFilter(3)).resize(image.size, Image.Resampling.NEAREST)
    holes = grid.resize(image.size, Image.Resampling.BILINEAR).point(
        lambda v: 255 if v >= 192 else 0
    )
    mask = ImageChops.lighter(ImageChops.multiply(mask, gate), holes)
    histogram = mask.histogram()
    share = histogram[255] / (image.width * image.height)
    if not _MIN_GARMENT_SHARE <= share <= _MAX_GARMENT_SHARE:
        raise EngineError(NO_GARMENT_MESSAGE, code=EngineCode.NO_GARMENT)
    box = mask.getbbox()
    if box is None:  # pragma: no cover - excluded by the share check
        raise EngineError(NO_GARMENT_MESSAGE, code=EngineCode.NO_GARMENT)
    # Shrink by a pixel before feathering so no background fringe shows.
    alpha = mask.filter(ImageFilter.MinFilter(3)).filter(ImageFilter.GaussianBlur(1.6))
    return Cutout(image=image.crop(box), alpha=alpha.crop(box))


def _fit_wearer(image: Image.Image) -> Image.Image:
    return ImageOps.fit(
        image, (OUTPUT_WIDTH, OUTPUT_HEIGHT), Image.Resampling.LANCZOS, centering=(0.5, 0.4)
    )


def estimate_torso_box(wearer: Image.Image) -> tuple[float, float, float, float]:
    """Torso as fractions of the (already 3:4) wearer image.

    Finds the figure against its backdrop and takes the torso band of it; a
    photo whose figure cannot be told from the backdrop falls back to the
    proportions of a centred 3:4 portrait.
    """
    small = wearer.copy()
    small.thumbnail((240, 240), Image.Resampling.BOX)
    background, spread = estimate_background(small)
    if spread <= _MAX_BORDER_SPREAD * 1.5:
        mask = _clean(_distance_mask(small, background, spread))
        box = mask.getbbox()
        if box is not None:
            left, top, right, bottom = box
            w, h = small.size
            fig_w, fig_h = right - left, bottom - top
            if 0.2 * w <= fig_w <= 0.9 * w and fig_h >= 0.5 * h:
                fl, ft, fr, fb = _TORSO_IN_FIGURE
                band_top, band_bottom = top + ft * fig_h, top + fb * fig_h
                # Centre on the body's mass in the torso band, not on the bounding box,
                # which a cast shadow or an arm lost against the backdrop skews.
                band = mask.crop(
                    (0, round(band_top), w, max(round(band_top) + 1, round(band_bottom)))
                )
                coverage = band.resize((w, 1), Image.Resampling.BOX).tobytes()
                mass = sum(coverage)
                centre = sum(x * c for x, c in enumerate(coverage)) / mass if mass else w / 2
                half = (fr - fl) * fig_w / 2
                return (
                    max(0.0, (centre + 0.5 - half) / w),
                    band_top / h,
                    min(1.0, (centre + 0.5 + half) / w),
                    band_bottom / h,
                )
    return DEFAULT_TORSO_BOX


# Torso from the face (adult proportions, in face-box units of OpenCV's cascade, whose box
# runs from the brows to the mouth): chin, shoulder line, hip line, shoulder width.
_CHIN_BELOW_FACE_TOP = 1.12
_SHOULDERS_BELOW_CHIN = 0.45
_TORSO_LENGTH = 2.7
_SHOULDER_WIDTH = 2.5


def pose_torso_box(wearer: Image.Image) -> tuple[float, float, float, float] | None:
    """Torso as fractions of the (3:4) wearer image, anchored on the shoulders and hips
    found from the person's one face; None when no single face is found (then the figure's
    mass decides). Keeps the garment below the chin, where estimating from the figure's
    mass put it over the face of a head-and-shoulders photo."""
    found = faces.find_faces(wearer)
    if len(found) != 1:
        return None
    face = found[0]
    w, h = wearer.size
    centre = face.x + face.width / 2
    shoulders = face.y + face.height * (_CHIN_BELOW_FACE_TOP + _SHOULDERS_BELOW_CHIN)
    hips = shoulders + face.height * _TORSO_LENGTH
    half = face.width * _SHOULDER_WIDTH / 2
    if shoulders >= h * 0.9:  # a face at the bottom edge: no body to dress
        return None
    return (
        max(0.0, (centre - half) / w),
        shoulders / h,
        min(1.0, (centre + half) / w),
        min(1.0, hips / h),
    )


def garment_region(
    category: str, torso: tuple[float, float, float, float]
) -> tuple[int, int, int, int]:
    """Pixel box on the output where a garment of ``category`` goes."""
    left, top, right, bottom = (
        torso[0] * OUTPUT_WIDTH,
        torso[1] * OUTPUT_HEIGHT,
        torso[2] * OUTPUT_WIDTH,
        torso[3] * OUTPUT_HEIGHT,
    )
    tw, th = right - left, bottom - top
    if category == GarmentCategory.TOP:
        box = (left - 0.15 * tw, top - 0.05 * th, right + 0.15 * tw, bottom + 0.08 * th)
    elif category == GarmentCategory.BOTTOM:
        box = (left + 0.02 * tw, bottom - 0.12 * th, right - 0.02 * tw, bottom + 0.98 * th)
    elif category == GarmentCategory.ONE_PIECE:
        box = (left - 0.1 * tw, top - 0.05 * th, right + 0.1 * tw, bottom + 0.6 * th)
    elif category in (GarmentCategory.SWIMWEAR, GarmentCategory.LINGERIE):
        box = (left + 0.02 * tw, top + 0.04 * th, right - 0.02 * tw, bottom + 0.2 * th)
    else:
        raise EngineError(f"Unknown garment category {category!r}.", code=EngineCode.BAD_CATEGORY)
    return (
        max(0, round(box[0])),
        max(0, round(box[1])),
        min(OUTPUT_WIDTH, round(box[2])),
        min(OUTPUT_HEIGHT, round(box[3])),
    )


def composite(
    *,
    garment: bytes,
    wearer: bytes,
    category: str,
    torso_box: tuple[float, float, float, float] | None = None,
) -> bytes:
    cutout = cut_out_garment(_open_rgb(garment, what="product photo", max_side=_WORK_SIZE))
    canvas = _fit_wearer(_open_rgb(wearer, what="wearer photo", max_side=OUTPUT_HEIGHT))
    torso = torso_box or pose_torso_box(canvas) or estimate_torso_box(canvas)
    left, top, right, bottom = garment_region(category, torso)
    region_w, region_h = right - left, bottom - top
    scale = min(region_w / cutout.image.width, region_h / cutout.image.height)
    size = (max(1, round(cutout.image.width * scale)), max(1, round(cutout.image.height * scale)))
    piece = cutout.image.resize(size, Image.Resampling.LANCZOS)
    alpha = cutout.alpha.resize(size, Image.Resampling.LANCZOS)
    # Hang the garment from the top of its region (shoulders, waist), centred.
    x = left + (region_w - size[0]) // 2
    y = top

    shadow = Image.new("L", canvas.size, 0)
    shadow.paste(alpha.point(lambda v: v * 45 // 100), (x + 6, y + 10))
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    canvas.paste(Image.new("RGB", canvas.size, (20, 16, 14)), (0, 0), shadow)
    canvas.paste(piece, (x, y), alpha)
    _label(canvas)

    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90, optimize=False, progressive=False)
    return out.getvalue()


def _label(canvas: Image.Image) -> None:
    """A small, honest corner label: this is a composite preview, not a photo."""
    draw = ImageDraw.Draw(canvas)
    text = "ModelSnapper offline preview"
    x, y = 16, OUTPUT_HEIGHT - 30
    bbox = draw.textbbox((x, y), text)
    draw.rectangle([bbox[0] - 6, bbox[1] - 4, bbox[2] + 6, bbox[3] + 4], fill=(245, 245, 245))
    draw.text((x, y), text, fill=(90, 90, 90))


class OfflineEngine:
    name = "offline"
    label = "Offline preview"

    def generate(self, request: EngineRequest) -> EngineResult:
        image = composite(
            garment=request.garment_jpeg,
            wearer=request.wearer_jpeg,
            category=request.category,
            torso_box=request.wearer_torso_box,
        )
        return EngineResult(
            image_jpeg=image, engine_name=self.name, digital_source_type=COMPOSITE_SYNTHETIC
        )
