"""Where the wearer's body is in a photo: silhouette, shoulders, hips, and what stays in front.

No pose or segmentation model ships offline here (mediapipe's bundled models pull jax and
jaxlib, ~380 MB; the 1.2.3 wheel bundles no model at all; see
``modelsnapper/faces.py``). So the body is measured with what the OpenCV wheel has:

- the one frontal face (Haar cascade) says where the head is and how big;
- that face seeds GrabCut (OpenCV's graph-cut segmentation), which cuts the person out of
  the backdrop: the **person mask**;
- the **shoulder line** is the first row below the chin where the silhouette widens from
  the neck to the shoulders, and its width there is the shoulders'; the **hips** are where
  the torso is widest below its waist, on a figure shown down to the legs, and otherwise a
  torso length (adult proportions, in face heights) below, never below the silhouette;
- bare **arms** beside the torso (skin coloured like the face) and **hair** falling below
  the chin are kept in front of the garment.

When GrabCut's silhouette has no shoulders (a head only, a body lost in the backdrop), the
shoulders come from the face's proportions and nothing is kept in front. It is a preview:
the output says so, whatever this finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageFilter

from modelsnapper import faces

# GrabCut runs on a copy this big (long side): its cost grows with the pixels, and the
# shoulders need no finer grid.
_SEGMENT_SIDE = 192
_GRABCUT_ITERATIONS = 3
# A border this uneven (mean channel standard deviation) is no one-colour backdrop.
_MAX_BACKDROP_SPREAD = 24.0
# Adult proportions, in face-box units of OpenCV's cascade (whose box runs from the brows to
# the mouth): chin, shoulder line, hip line, shoulder width.
CHIN_BELOW_FACE_TOP = 1.12
SHOULDERS_BELOW_CHIN = 0.45
TORSO_LENGTH = 2.7
SHOULDER_WIDTH = 2.5
# The silhouette is at the shoulders where it is this many face widths and neck widths wide
# (cartoons and wide-angle portraits have big heads: the neck is the surer measure) ...
_SHOULDER_MIN_WIDTH = 1.2
_SHOULDER_OVER_NECK = 1.8
# ... and the body below is at least this many times as wide as the neck.
_SHOULDERS_OVER_NARROWEST = 1.25
# ... and the shoulder line is looked for this far below the chin (face heights).
_SHOULDER_SEARCH = 1.6
# On a figure shown down to the legs, the waist is looked for from this many face heights
# below the shoulder line, the hips down to this many; a waist is this much narrower than the
# shoulders, and the hips this much wider than the waist.
_WAIST_FROM = 1.0
# The torso is never shorter than this many face heights (within the photo).
_MIN_TORSO = 1.0
_HIPS_TO = 4.0
_WAIST_UNDER_SHOULDERS = 0.92
_HIPS_OVER_WAIST = 1.06
# Arms hang below this share of the torso and outside its middle this share of the shoulders.
_ARMPIT_DOWN = 0.3
_TORSO_COLUMN = 0.62
# A pixel is skin when its Cr and Cb are this many standard deviations from the face's.
_SKIN_SIGMAS = 2.5
# ... and its brightness (Y) within 3 of the cheeks' standard deviations, kept in these bounds.
_SKIN_BRIGHTNESS = (20.0, 45.0)
# A pixel is hair when no channel is further than this from the hair's median colour.
_HAIR_DISTANCE = 36
# Hair in front is looked for this many face widths either side of the face's middle.
_HAIR_REACH = 0.8


@dataclass(frozen=True)
class Body:
    """The wearer's torso as fractions of the photo, and a mask of what stays in front."""

    torso: tuple[float, float, float, float]
    shoulders_measured: bool
    # L, at the measuring size (a few hundred pixels): 255 where the wearer's arms or hair
    # stay in front of the garment. ``front_at`` scales it to the photo.
    front: Image.Image | None

    def front_at(self, size: tuple[int, int]) -> Image.Image | None:
        return self.front.resize(size, Image.Resampling.BILINEAR) if self.front else None


def find_body(image: Image.Image) -> Body | None:
    """The body under the one face in ``image``; None without exactly one face, or when the
    face sits so low that there is no body to dress."""
    found = faces.find_faces(image)
    if len(found) != 1:
        return None
    face = found[0]
    width, height = image.size
    chin = face.y + face.height * CHIN_BELOW_FACE_TOP
    estimated_shoulders = chin + face.height * SHOULDERS_BELOW_CHIN
    if estimated_shoulders >= height * 0.9:
        return None
    centre = face.x + face.width / 2

    small = image.copy()
    small.thumbnail((_SEGMENT_SIDE, _SEGMENT_SIDE), Image.Resampling.BOX)
    scale = small.width / width
    rgb = np.asarray(small.convert("RGB"))
    person = _person_mask(rgb, face, scale)
    shoulders = _shoulder_line(person, face, scale) if person is not None else None
    if person is None or shoulders is None:
        half = face.width * SHOULDER_WIDTH / 2
        hips = estimated_shoulders + face.height * TORSO_LENGTH
        return Body(
            torso=(
                max(0.0, (centre - half) / width),
                estimated_shoulders / height,
                min(1.0, (centre + half) / width),
                min(1.0, hips / height),
            ),
            shoulders_measured=False,
            front=None,
        )
    hip_row = _hip_line(person, face, scale, shoulders)
    shoulder_y, left, right = (float(value) / scale for value in shoulders)
    if hip_row is not None:
        hips = float(hip_row) / scale
    else:
        rows = np.flatnonzero(person.any(axis=1))
        lowest = float(rows[-1] + 1) / scale
        hips = min(shoulder_y + face.height * TORSO_LENGTH, lowest, float(height))
    # A silhouette that stops just under the shoulders (a bust, a cut-off frame) still
    # gets a torso to hang the garment on, not a sliver it would shrink to.
    hips = max(hips, min(float(height), shoulder_y + face.height * _MIN_TORSO))
    torso = (
        max(0.0, left / width),
        shoulder_y / height,
        min(1.0, right / width),
        hips / height,
    )
    front = _front_mask(rgb, person, face, scale, torso=(left, shoulder_y, right, hips))
    return Body(
        torso=torso,
        shoulders_measured=True,
        front=Image.fromarray(front),
    )


def _person_mask(rgb: np.ndarray[Any, Any], face: faces.Face, scale: float) -> Any:
    """A boolean mask of the person (the component around the face), or None when GrabCut
    finds no plausible figure."""
    h, w = rgb.shape[:2]
    fx, fy = face.x * scale, face.y * scale
    fw, fh = face.width * scale, face.height * scale
    cx = fx + fw / 2
    chin = fy + fh * CHIN_BELOW_FACE_TOP

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        return (
            slice(max(0, round(y0)), max(0, min(h, round(y1)))),
            slice(max(0, round(x0)), max(0, min(w, round(x1)))),
        )

    seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    # Where a person can be: around and below the head, a few face widths either side, and
    # (on a backdrop plain enough to have one colour) not of the backdrop's colour. Without
    # that, backdrop showing between the neck and long hair starts, and stays, "person".
    near = box(cx - 2.2 * fw, fy - 0.8 * fh, cx + 2.2 * fw, h)
    seeds[near] = cv2.GC_PR_FGD
    # The frame's edge is backdrop where the person cannot reach it: the top away from the
    # head (hair may touch the top edge) and the sides above the chin (shoulders may touch
    # them below). Hair taken for backdrop was cut out with it (measured).
    band = max(2, min(h, w) // 40)
    edge = np.zeros((h, w), bool)
    edge[:band, :] = True
    edge[:band, box(cx - 1.4 * fw, 0, cx + 1.4 * fw, 1)[1]] = False
    edge[: max(0, round(chin)), :band] = True
    edge[: max(0, round(chin)), w - band :] = True
    border = rgb[edge]
    if len(border) < 16:  # a face filling the frame: no backdrop to learn
        return None
    spread = float(border.std(axis=0).mean())
    unlike_backdrop = None
    if spread <= _MAX_BACKDROP_SPREAD:
        backdrop = np.median(border, axis=0)
        distance = np.abs(rgb.astype(np.int16) - backdrop).max(axis=2)
        like_backdrop = distance <= min(80.0, max(28.0, 3 * spread))
        region = np.zeros((h, w), bool)
        region[near] = True
        seeds[region & like_backdrop] = cv2.GC_PR_BGD
        unlike_backdrop = region & ~like_backdrop
    # Surely the person: the middle of the face, the neck and the middle of the chest.
    seeds[box(fx + 0.2 * fw, fy + 0.15 * fh, fx + 0.8 * fw, fy + 0.9 * fh)] = cv2.GC_FGD
    seeds[box(cx - 0.12 * fw, chin - 0.1 * fh, cx + 0.12 * fw, chin + 1.4 * fh)] = cv2.GC_FGD
    # Surely the backdrop: that edge.
    seeds[edge] = cv2.GC_BGD
    background = np.zeros((1, 65), np.float64)
    foreground = np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models by k-means on OpenCV's thread RNG: fixed, so the same
    # photo gives the same mask (the engine's outputs are byte-for-byte repeatable).
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(
            np.ascontiguousarray(rgb[:, :, ::-1]),
            seeds,
            (0, 0, 0, 0),  # the rectangle: unused when seeding with a mask
            background,
            foreground,
            _GRABCUT_ITERATIONS,
            cv2.GC_INIT_WITH_MASK,
        )
    except cv2.error:  # a degenerate photo (one colour): no figure to find
        return None
    cut = (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
    if unlike_backdrop is not None:
        # What plainly differs from a plain backdrop is the person too: GrabCut's colour
        # models can drop hair close to the skin's colour (measured: long hair over the
        # shoulders cut out, and the shoulder line found where the hair ended).
        cut |= unlike_backdrop
    mask = cut.astype(np.uint8)
    count, labels = cv2.connectedComponents(mask, connectivity=4)
    face_label = labels[min(h - 1, round(fy + 0.5 * fh)), min(w - 1, max(0, round(cx)))]
    if count < 2 or face_label == 0:
        return None
    person = labels == face_label
    share = person.mean()
    if not 0.04 <= share <= 0.9:
        return None
    return person


def _shoulder_line(
    person: Any, face: faces.Face, scale: float
) -> tuple[float, float, float] | None:
    """(row, left, right) in the small image where the silhouette widens into shoulders."""
    h = person.shape[0]
    fw, fh = face.width * scale, face.height * scale
    cx = round((face.x + face.width / 2) * scale)
    chin = round((face.y + face.height * CHIN_BELOW_FACE_TOP) * scale)
    last = min(h - 1, round(chin + _SHOULDER_SEARCH * fh))
    widths = {}
    for y in range(max(0, chin), last + 1):
        span = _run_through(person[y], cx)
        widths[y] = (span[1] - span[0]) if span else 0
    # The neck: the narrowest run just below the chin (the jaw may still be in the first rows).
    neck_rows = [widths[y] for y in widths if y < chin + 0.4 * fh and widths[y]]
    if not neck_rows:
        return None
    neck = min(neck_rows)
    widest = max(widths.values())
    if widest < _SHOULDERS_OVER_NARROWEST * neck:  # no widening below the chin: no body
        return None
    # Long hair beside the neck can read as part of it (backdrop between them taken for the
    # person): then the shoulders are where the width is halfway from that "neck" to the
    # body's, not 1.8 necks, which the body would never reach.
    wide = max(
        _SHOULDER_MIN_WIDTH * fw,
        min(_SHOULDER_OVER_NECK * neck, neck + (widest - neck) / 2),
    )
    for y, width in widths.items():
        if width >= wide:
            # The widest run a little below: shoulders slope, arms hang from their ends.
            spans = [
                span
                for span in (
                    _run_through(person[r], cx) for r in range(y, min(h, y + round(0.3 * fh) + 1))
                )
                if span is not None
            ]
            return float(y), float(min(s[0] for s in spans)), float(max(s[1] for s in spans))
    return None


def _hip_line(
    person: Any, face: faces.Face, scale: float, shoulders: tuple[float, float, float]
) -> float | None:
    """The row in the small image where the torso is widest below its waist (the hips), on a
    figure shown down to the legs; None when the silhouette does not go down that far or
    shows no waist (a head-and-shoulders photo, arms held against the body)."""
    h = person.shape[0]
    fh = face.height * scale
    cx = round((face.x + face.width / 2) * scale)
    shoulder_y, left, right = shoulders
    first, last = round(shoulder_y + _WAIST_FROM * fh), round(shoulder_y + _HIPS_TO * fh)
    if last >= h:
        return None
    widths = []
    for y in range(first, last + 1):
        span = _run_through(person[y], cx)
        if span is None:  # between the legs: the hips are above
            break
        widths.append((span[1] - span[0], y))
    if len(widths) < 3:
        return None
    waist_width, waist = min(widths)
    below = [(width, y) for width, y in widths if y > waist]
    if not below or waist_width > _WAIST_UNDER_SHOULDERS * (right - left):
        return None
    hip_width = max(width for width, _ in below)
    if hip_width < _HIPS_OVER_WAIST * waist_width:
        return None
    # The widest rows run on for a while (hips to the top of the thighs): their middle.
    plateau = []
    for width, y in below:
        if width >= hip_width - 1:
            plateau.append(y)
        elif plateau:
            break
    return (plateau[0] + plateau[-1]) / 2


def _run_through(row: Any, x: int) -> tuple[int, int] | None:
    """[start, end) of the run of True in ``row`` that contains column ``x``."""
    if not 0 <= x < len(row) or not row[x]:
        return None
    gaps = np.flatnonzero(~row)
    before = gaps[gaps < x]
    after = gaps[gaps > x]
    start = int(before[-1]) + 1 if len(before) else 0
    end = int(after[0]) if len(after) else len(row)
    return start, end


def _front_mask(
    rgb: np.ndarray[Any, Any],
    person: Any,
    face: faces.Face,
    scale: float,
    *,
    torso: tuple[float, float, float, float],
) -> np.ndarray[Any, Any]:
    """uint8 0/255 in the small image: the wearer's bare arms beside the torso and the hair
    below the chin, which stay in front of the garment."""
    h, w = person.shape
    fx, fy = face.x * scale, face.y * scale
    fw, fh = face.width * scale, face.height * scale
    left, top, right, bottom = (value * scale for value in torso)
    ycrcb = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YCrCb).astype(np.float32)
    rows = np.arange(h)[:, None]
    columns = np.arange(w)[None, :]

    # Skin: the Cr/Cb of the middle of the cheeks (eyes, brows and mouth left out).
    cheek_rows = slice(round(fy + 0.45 * fh), max(round(fy + 0.45 * fh) + 1, round(fy + 0.65 * fh)))
    cheek_columns = slice(
        round(fx + 0.15 * fw), max(round(fx + 0.15 * fw) + 1, round(fx + 0.85 * fw))
    )
    cheeks = ycrcb[cheek_rows, cheek_columns, 1:].reshape(-1, 2)
    # Median and robust spread (1.4826 x the median absolute deviation): the nose, a brow or
    # an eye inside the window do not widen what counts as skin.
    mean = np.median(cheeks, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(cheeks - mean), axis=0), 3.0)
    luma = ycrcb[cheek_rows, cheek_columns, 0].ravel()
    brightness = float(np.median(luma))
    luma_spread = 1.4826 * float(np.median(np.abs(luma - brightness)))
    # Chroma says skin; brightness keeps out brown or fair hair, which has skin's hue, only
    # darker. Light falls unevenly on arms: the tolerance follows the cheeks' own spread.
    tolerance = min(_SKIN_BRIGHTNESS[1], max(_SKIN_BRIGHTNESS[0], 3 * luma_spread))
    skin = (np.abs(ycrcb[:, :, 1:] - mean) <= _SKIN_SIGMAS * spread).all(axis=2) & (
        np.abs(ycrcb[:, :, 0] - brightness) <= tolerance
    )
    centre = (left + right) / 2
    column = _TORSO_COLUMN * (right - left) / 2
    arms = (
        skin & (rows >= top + _ARMPIT_DOWN * (bottom - top)) & (np.abs(columns - centre) > column)
    )

    # Hair: the person's colour just above the face, where it is not skin; kept only beside
    # and below the face, connected to the head's hair, and only when it differs from the
    # clothes at the chest (black hair on a black top cannot be told apart: none is kept).
    above = (
        (rows >= fy - 0.35 * fh)
        & (rows < fy)
        & (columns >= fx)
        & (columns < fx + fw)
        & person
        & ~skin
    )
    front = arms
    if above.sum() >= 12:
        colours = rgb.astype(np.int16)
        hair_colour = np.median(colours[above], axis=0)
        chest = (
            (rows >= top + 0.15 * (bottom - top))
            & (rows < top + 0.45 * (bottom - top))
            & (np.abs(columns - centre) <= 0.15 * (right - left))
            & person
        )
        clothes_colour = np.median(colours[chest], axis=0) if chest.any() else None
        if clothes_colour is None or np.abs(clothes_colour - hair_colour).max() > _HAIR_DISTANCE:
            hair = (np.abs(colours - hair_colour).max(axis=2) <= _HAIR_DISTANCE) & person
            hair &= (rows >= fy - 0.35 * fh) & (np.abs(columns - (fx + fw / 2)) <= _HAIR_REACH * fw)
            _, labels = cv2.connectedComponents(hair.astype(np.uint8), connectivity=8)
            heads = np.unique(labels[above & hair])
            heads = heads[heads != 0]
            chin = fy + fh * CHIN_BELOW_FACE_TOP
            front = front | (np.isin(labels, heads) & (rows >= chin))
    front = front & person
    mask = front.astype(np.uint8) * 255
    # Specks the colour tests let through are dropped; the edge is left to the upscale.
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return np.asarray(Image.fromarray(mask).filter(ImageFilter.GaussianBlur(0.6)))
