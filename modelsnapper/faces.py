"""Is there exactly one person's face in a photo, and is it a different photo from others?

Detector: OpenCV's Haar frontal-face cascade, shipped inside the opencv-python-headless
wheel (``cv2.data.haarcascades``): offline, nothing downloaded at run time, ~20-40 ms on a
640 px image on one core. Chosen over mediapipe, whose wheel bundles better neural models
but pulls jax/jaxlib (~380 MB installed vs ~160 MB for OpenCV) and ties us to its release
cadence; OpenCV is a long-maintained 4.x line (5.0 dropped the bundled cascades, so the pin
stays on 4.x). The cascade finds frontal faces of people, not of cats: that is the question.

Distinct photos: a perceptual hash (DCT of the face region, 64 bits) compared with the other
photo's hash and with its mirror image, so a mirrored, cropped, re-encoded or resized copy of
one photo is recognised as the same photo.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

# Detection runs on a copy at most this wide/high: faster, and the cascade's windows then
# span a sensible range of face sizes.
_DETECT_SIDE = 640
# A face smaller than this fraction of the short side is background, not the subject.
_MIN_FACE_FRACTION = 0.12
# Two face hashes this close (Hamming distance out of 64) are the same photo.
SAME_PHOTO_DISTANCE = 10


@dataclass(frozen=True)
class Face:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class FaceSignature:
    """The one face of a photo: where it is and its perceptual hashes (as is, mirrored)."""

    face: Face
    hash: int
    mirrored_hash: int

    def distance(self, other: FaceSignature) -> int:
        return min(
            bin(self.hash ^ other.hash).count("1"),
            bin(self.hash ^ other.mirrored_hash).count("1"),
        )

    def same_photo_as(self, other: FaceSignature) -> bool:
        return self.distance(other) <= SAME_PHOTO_DISTANCE


_per_thread = threading.local()


def _cascade() -> Any:
    """This thread's classifier: one shared by threads answers with another image's faces
    (measured: 35 of 48 calls wrong with 8 threads; none with one per thread)."""
    cascade = getattr(_per_thread, "cascade", None)
    if cascade is None:
        # cv2.data is in the wheel but not in OpenCV's type stubs.
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():  # a broken install, not bad input
            raise RuntimeError(f"OpenCV's face cascade could not be loaded from {path}")
        _per_thread.cascade = cascade
    return cascade


def _gray(image: Image.Image) -> np.ndarray[Any, Any]:
    small = image.convert("L")
    small.thumbnail((_DETECT_SIDE, _DETECT_SIDE), Image.Resampling.BILINEAR)
    return np.asarray(small)


def _detect(gray: np.ndarray[Any, Any]) -> list[Face]:
    """Faces in ``gray`` (a copy at most 640 px on its long side), in its coordinates."""
    gray = cv2.equalizeHist(gray)
    side = max(24, int(min(gray.shape) * _MIN_FACE_FRACTION))
    found = _cascade().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(side, side))
    return [Face(int(x), int(y), int(w), int(h)) for (x, y, w, h) in found]


def find_faces(image: Image.Image) -> list[Face]:
    """The people's faces OpenCV finds (frontal), in ``image``'s own pixel coordinates."""
    gray = _gray(image)
    scale = image.width / gray.shape[1]
    return [
        Face(
            round(f.x * scale), round(f.y * scale), round(f.width * scale), round(f.height * scale)
        )
        for f in _detect(gray)
    ]


def _phash(gray: np.ndarray[Any, Any]) -> int:
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    bits = low > np.median(low[1:])
    return int("".join("1" if bit else "0" for bit in bits), 2)


def single_face_signature(image: Image.Image) -> tuple[int, FaceSignature | None]:
    """(how many faces were found, the signature when exactly one was)."""
    gray = _gray(image)
    faces = _detect(gray)
    if len(faces) != 1:
        return len(faces), None
    face = faces[0]
    crop = gray[face.y : face.y + face.height, face.x : face.x + face.width]
    return 1, FaceSignature(face=face, hash=_phash(crop), mirrored_hash=_phash(cv2.flip(crop, 1)))
