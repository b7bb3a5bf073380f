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

import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
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
from generations.engines.wearer import Body, find_body
from modelsnapper.garments import GarmentCategory

COMPOSITE_SYNTHETIC = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeSynthetic"

# The garment is cut out at this size (long side); it is never shown larger.
_WORK_SIZE = 800
# Connected components and holes are found on a grid this small (see _Runs).
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
            # Let the JPEG decoder scale down (by 1/2, 1/4, 1/8) while decoding, as far
            # as the long side stays at least max_side (draft keeps both sides ≥ the
            # requested box, so the box has the photo's own proportions).
            scale = max_side / max(image.size)
            if scale < 1:
                image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
        image.load()
        # In place: a transposed copy only when the photo says it is rotated.
        ImageOps.exif_transpose(image, in_place=True)
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
    return image if image.mode == "RGB" else image.convert("RGB")


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


_Combine = Callable[[Image.Image, Image.Image], Image.Image]


def _rank_1d(mask: Image.Image, radius: int, combine: _Combine, *, vertical: bool) -> Image.Image:
    """Min (``ImageChops.darker``) or max (``lighter``) over a 1-D window of 2r+1 pixels.

    The edge pixels are repeated outside the image, as Pillow's own rank filters do,
    so the result equals ``MinFilter``/``MaxFilter`` restricted to one axis. Each step
    is one C-speed pass over the image: 2r passes instead of a (2r+1)² sort per pixel.
    """
    width, height = mask.size
    if vertical:
        padded = Image.new("L", (width, height + 2 * radius))
        padded.paste(mask.crop((0, 0, width, 1)).resize((width, radius)), (0, 0))
        padded.paste(
            mask.crop((0, height - 1, width, height)).resize((width, radius)), (0, height + radius)
        )
        padded.paste(mask, (0, radius))
        shifted = [padded.crop((0, d, width, d + height)) for d in range(2 * radius + 1)]
    else:
        padded = Image.new("L", (width + 2 * radius, height))
        padded.paste(mask.crop((0, 0, 1, height)).resize((radius, height)), (0, 0))
        padded.paste(
            mask.crop((width - 1, 0, width, height)).resize((radius, height)), (width + radius, 0)
        )
        padded.paste(mask, (radius, 0))
        shifted = [padded.crop((d, 0, d + width, height)) for d in range(2 * radius + 1)]
    result = shifted[0]
    for image in shifted[1:]:
        result = combine(result, image)
    return result


def _rank(mask: Image.Image, radius: int, combine: _Combine) -> Image.Image:
    """A (2r+1)x(2r+1) square min (``darker``) or max (``lighter``) of a 0/255 mask.

    Equal to ``radius`` passes of a 3x3 ``MinFilter``/``MaxFilter`` (the edge is
    repeated at every pass, which repeating it once matches exactly). On a binary
    mask it is a box mean and a threshold: the window's minimum is 255 only when its
    mean is 255, its maximum is 0 only when its mean is 0. Pillow's box blur costs
    the same at any radius (running sums, edges repeated), a rank filter (2r+1)² a
    pixel. Masks that are not binary take the exact separable path.
    """
    colors = mask.getcolors(2)
    if colors is None or any(value not in (0, 255) for _, value in colors):
        return _rank_1d(
            _rank_1d(mask, radius, combine, vertical=False), radius, combine, vertical=True
        )
    # One odd pixel among the window's (2r+1)² moves the mean by 255/(2r+1)²; the box
    # blur's rounding moves it by under 1. Thresholds halfway tell the cases apart.
    half_step = 255 / (2 * radius + 1) ** 2 / 2
    mean = mask.filter(ImageFilter.BoxBlur(radius))
    if combine is ImageChops.darker:
        return mean.point(lambda v: 255 if v >= 255 - half_step else 0)
    return mean.point(lambda v: 255 if v >= half_step else 0)


def _clean(mask: Image.Image) -> Image.Image:
    # Opening (5x5) removes specks of noise, closing (7x7) bridges seams and small gaps.
    opened = _rank(_rank(mask, 2, ImageChops.darker), 2, ImageChops.lighter)
    return _rank(_rank(opened, 3, ImageChops.lighter), 3, ImageChops.darker)


_RUN = re.compile(rb"\x01+")


@dataclass
class _Runs:
    """The 4-connected components of a 0/1 grid, found over horizontal runs of 1s.

    A run-length union-find: rows are split into runs by a regular expression (C
    speed), and only overlapping runs of adjacent rows are joined, so the Python
    work grows with the number of runs (hundreds), not of cells (tens of thousands).
    """

    runs: list[tuple[int, int, int]]  # (row, start, end), in raster order
    parent: list[int]

    @classmethod
    def of(cls, cells: bytes, width: int, height: int) -> _Runs:
        runs: list[tuple[int, int, int]] = []
        parent: list[int] = []
        found = cls(runs, parent)
        previous: list[int] = []  # run indexes of the row above
        for y in range(height):
            row = cells[y * width : (y + 1) * width]
            current = []
            above = 0
            for match in _RUN.finditer(row):
                start, end = match.span()
                index = len(runs)
                runs.append((y, start, end))
                parent.append(index)
                current.append(index)
                # Runs above that overlap [start, end) share a column edge: 4-connected.
                while above < len(previous) and runs[previous[above]][2] <= start:
                    above += 1
                probe = above
                while probe < len(previous) and runs[previous[probe]][1] < end:
                    found._join(previous[probe], index)
                    probe += 1
            previous = current
        return found

    def root(self, index: int) -> int:
        parent = self.parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def _join(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            # The older root wins, so a component is named by its first run in raster order.
            self.parent[max(ra, rb)] = min(ra, rb)

    def components(self) -> dict[int, list[int]]:
        """Root → its runs (roots in raster order of their first run)."""
        groups: dict[int, list[int]] = {}
        for index in range(len(self.runs)):
            groups.setdefault(self.root(index), []).append(index)
        return groups

    def length(self, members: list[int]) -> int:
        return sum(self.runs[i][2] - self.runs[i][1] for i in members)


def _paint(width: int, height: int, runs: list[tuple[int, int, int]], *, on: int) -> bytearray:
    cells = bytearray([0 if on else 1]) * (width * height)
    value = bytes([on])
    for y, start, end in runs:
        cells[y * width + start : y * width + end] = value * (end - start)
    return cells


def _largest_component_and_holes(mask: Image.Image) -> Image.Image:
    """On a small grid: keep the largest 4-connected component and fill its holes.

    A print in the background colour (a white logo on a shirt shot on white)
    would otherwise be cut out as a hole; stray props would be kept as garment.
    """
    width, height = mask.size
    scale = _GRID_SIZE / max(width, height)
    gw, gh = max(1, round(width * scale)), max(1, round(height * scale))
    grid = mask.resize((gw, gh), Image.Resampling.BOX).point(lambda v: 1 if v >= 128 else 0)
    found = _Runs.of(grid.tobytes(), gw, gh)
    components = found.components()
    if not components:
        return Image.new("L", mask.size, 0)
    # The largest; among equals the first in raster order (dicts keep insertion order).
    best = max(components.values(), key=found.length)
    # Background reachable from the border stays background; the rest is a hole.
    keep = _paint(gw, gh, [found.runs[i] for i in best], on=1)
    background = _Runs.of(bytes(keep.translate(_INVERT)), gw, gh)
    outside = [
        background.runs[i]
        for members in background.components().values()
        if any(_on_border(background.runs[i], gw, gh) for i in members)
        for i in members
    ]
    solid = _paint(gw, gh, outside, on=0)
    return Image.frombytes("L", (gw, gh), bytes(solid).translate(_TO_MASK))


_INVERT = bytes([1, 0]) + bytes(range(2, 256))
_TO_MASK = bytes([0, 255]) + bytes(range(2, 256))


def _on_border(run: tuple[int, int, int], width: int, height: int) -> bool:
    y, start, end = run
    return y in (0, height - 1) or start == 0 or end == width


def cut_out_garment(image: Image.Image) -> Cutout:
    """Separate the garment from a plain background; EngineError when there is none."""
    image = image.copy()
    # reducing_gap: a box reduction first, LANCZOS over the last factor (Pillow's fast path).
    image.thumbnail((_WORK_SIZE, _WORK_SIZE), Image.Resampling.LANCZOS, reducing_gap=3.0)
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
    alpha = _rank(mask, 1, ImageChops.darker).filter(ImageFilter.GaussianBlur(1.6))
    return Cutout(image=image.crop(box), alpha=alpha.crop(box))


def _fit_wearer(image: Image.Image) -> Image.Image:
    """Crop to 3:4 (centred, a little above the middle) and scale to the output size.

    ImageOps.fit's crop, resized with reducing_gap: a box reduction first, then
    LANCZOS over the last factor (Pillow's fast path for large downscales).
    """
    width, height = image.size
    target = OUTPUT_WIDTH / OUTPUT_HEIGHT
    if width / height > target:
        crop_w, crop_h = height * target, float(height)
    else:
        crop_w, crop_h = float(width), width / target
    left, top = (width - crop_w) * 0.5, (height - crop_h) * 0.4
    if (width, height) == (OUTPUT_WIDTH, OUTPUT_HEIGHT):
        return image  # already the output's size and shape (e.g. decoded at 1/2)
    # Enlarging: BICUBIC looks the same as LANCZOS there and costs about half.
    method = Image.Resampling.LANCZOS if crop_w > OUTPUT_WIDTH else Image.Resampling.BICUBIC
    return image.resize(
        (OUTPUT_WIDTH, OUTPUT_HEIGHT),
        method,
        box=(left, top, left + crop_w, top + crop_h),
        reducing_gap=3.0,
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


def pose_torso_box(wearer: Image.Image) -> tuple[float, float, float, float] | None:
    """Torso as fractions of the (3:4) wearer image, anchored on the shoulders and hips of
    the person's body (``wearer.find_body``); None when no single face is found (then the
    figure's mass decides). Keeps the garment below the chin, where estimating from the
    figure's mass put it over the face of a head-and-shoulders photo."""
    body = find_body(wearer)
    return body.torso if body else None


# A batch dresses one wearer photo many times: its measured body (face search and GrabCut,
# ~100 ms) is kept for the photos that follow, per process, keyed by the photo's bytes.
_BODIES_KEPT = 64
_bodies: OrderedDict[str, Body | None] = OrderedDict()
_bodies_lock = threading.Lock()


def _body_of(wearer: bytes, canvas: Image.Image) -> Body | None:
    key = hashlib.sha256(wearer).hexdigest()
    with _bodies_lock:
        if key in _bodies:
            _bodies.move_to_end(key)
            return _bodies[key]
    body = find_body(canvas)
    with _bodies_lock:
        _bodies[key] = body
        while len(_bodies) > _BODIES_KEPT:
            _bodies.popitem(last=False)
    return body


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
    body = None if torso_box else _body_of(wearer, canvas)
    torso = torso_box or (body.torso if body else None) or estimate_torso_box(canvas)
    left, top, right, bottom = garment_region(category, torso)
    region_w, region_h = right - left, bottom - top
    scale = min(region_w / cutout.image.width, region_h / cutout.image.height)
    size = (max(1, round(cutout.image.width * scale)), max(1, round(cutout.image.height * scale)))
    piece = cutout.image.resize(size, Image.Resampling.LANCZOS)
    alpha = cutout.alpha.resize(size, Image.Resampling.LANCZOS)
    # Hang the garment from the top of its region (shoulders, waist), centred.
    x = left + (region_w - size[0]) // 2
    y = top

    front = body.front_at(canvas.size) if body else None
    wearer_photo = canvas.copy() if front else None
    canvas.paste(
        Image.new("RGB", canvas.size, (20, 16, 14)), (0, 0), _shadow(alpha, canvas.size, (x, y))
    )
    canvas.paste(piece, (x, y), alpha)
    if wearer_photo and front:
        # The wearer's arms and hair that hang in front of the garment stay in front.
        canvas.paste(wearer_photo, (0, 0), front)
    _label(canvas)

    out = io.BytesIO()
    canvas.save(out, format="JPEG", quality=90, optimize=False, progressive=False)
    return out.getvalue()


_SHADOW_SCALE = 4


def _shadow(alpha: Image.Image, size: tuple[int, int], at: tuple[int, int]) -> Image.Image:
    """A soft drop shadow of the garment (45 % of its alpha, offset, blurred 14 px).

    Blurred at a quarter of the size and scaled back: a 14 px blur has no detail a
    4x smaller image loses, and it costs a sixteenth.
    """
    s = _SHADOW_SCALE
    small = Image.new("L", (-(-size[0] // s), -(-size[1] // s)), 0)
    piece = alpha.resize(
        (max(1, alpha.width // s), max(1, alpha.height // s)), Image.Resampling.BOX
    )
    small.paste(piece.point(lambda v: v * 45 // 100), ((at[0] + 6) // s, (at[1] + 10) // s))
    small = small.filter(ImageFilter.GaussianBlur(14 / s))
    return small.resize(size, Image.Resampling.BILINEAR)


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
