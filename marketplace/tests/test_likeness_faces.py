"""Likeness photos show exactly one person's face and are different photos (OpenCV's Haar
face cascade, offline; a mirror-aware perceptual hash of the face). Images drawn here."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFilter

from accounts.models import ModelProfile
from marketplace import selectors, services
from marketplace.avatar_art import draw_portrait, portrait_jpeg_bytes
from modelsnapper import faces
from modelsnapper.errors import DomainError


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


def cat_photo(size=(600, 800)) -> bytes:
    """A tabby cat's face: ears, slit eyes, a pink nose, whiskers, fur stripes."""
    w, h = size
    image = Image.new("RGB", size, (205, 200, 190))
    d = ImageDraw.Draw(image)
    cx, cy = w // 2, int(h * 0.45)
    fur, dark = (190, 130, 70), (120, 75, 35)
    d.polygon([(cx - 170, cy - 60), (cx - 150, cy - 260), (cx - 40, cy - 140)], fill=fur)
    d.polygon([(cx + 170, cy - 60), (cx + 150, cy - 260), (cx + 40, cy - 140)], fill=fur)
    d.ellipse((cx - 190, cy - 170, cx + 190, cy + 170), fill=fur)
    for k in range(-3, 4):
        d.line([(cx + k * 40, cy - 170), (cx + k * 30, cy - 90)], fill=dark, width=10)
    for side in (-1, 1):
        ex = cx + side * 80
        d.ellipse((ex - 40, cy - 60, ex + 40, cy), fill=(150, 190, 60))
        d.ellipse((ex - 7, cy - 58, ex + 7, cy - 2), fill=(15, 15, 10))
        for dy in (20, 40, 60):
            d.line(
                [(cx + side * 40, cy + dy), (cx + side * 230, cy + dy - 20)],
                fill=(250,) * 3,
                width=2,
            )
    d.polygon([(cx - 22, cy + 20), (cx + 22, cy + 20), (cx, cy + 45)], fill=(230, 140, 150))
    d.arc((cx - 40, cy + 35, cx, cy + 75), 0, 180, fill=dark, width=4)
    d.arc((cx, cy + 35, cx + 40, cy + 75), 0, 180, fill=dark, width=4)
    return jpeg(image.filter(ImageFilter.GaussianBlur(2)))


def landscape_photo() -> bytes:
    image = Image.new("RGB", (800, 600), (120, 170, 230))
    d = ImageDraw.Draw(image)
    d.rectangle((0, 380, 800, 600), fill=(70, 130, 60))
    d.polygon([(100, 380), (300, 150), (500, 380)], fill=(110, 110, 120))
    d.ellipse((620, 60, 720, 160), fill=(250, 230, 120))
    return jpeg(image)


def two_people() -> bytes:
    left, right = draw_portrait(0, (400, 540)), draw_portrait(1, (400, 540))
    both = Image.new("RGB", (800, 540))
    both.paste(left, (0, 0))
    both.paste(right, (400, 0))
    return jpeg(both)


def _refused(code: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        services.reference_photo_add(**kwargs)
    assert caught.value.code == code
    return caught.value


@pytest.mark.parametrize("index", range(5))
def test_a_portrait_has_exactly_one_face(index):
    count, signature = faces.single_face_signature(draw_portrait(index))
    assert count == 1 and signature is not None


@pytest.mark.parametrize(
    ("photo", "code"),
    [(cat_photo, "no_face"), (landscape_photo, "no_face"), (two_people, "many_faces")],
)
def test_photos_without_exactly_one_persons_face_are_refused(model_mia, settings, photo, code):
    error = _refused(code, actor=model_mia, upload=photo())  # before: accepted
    assert error.field == "photo"
    assert ModelProfile.objects.get(user_id=model_mia.pk).reference_images == []
    assert not list(settings.MEDIA_ROOT.rglob("*.jpg"))  # nothing stored


def test_three_different_portraits_are_accepted(model_mia):
    for index in range(3):
        services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(index))
    assert len(ModelProfile.objects.get(user_id=model_mia.pk).reference_images) == 3


@pytest.mark.parametrize(
    "copy",
    [
        lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),  # mirrored
        lambda im: im.crop((60, 40, 560, 700)),  # cropped
        lambda im: im.resize((450, 600)),  # resized, re-encoded
        lambda im: im.crop((0, 0, 600, 650)).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    ],
)
def test_a_copy_of_a_photo_already_uploaded_is_refused(model_mia, settings, copy):
    services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(0))
    files = sorted(settings.MEDIA_ROOT.rglob("*.jpg"))
    error = _refused("duplicate_photo", actor=model_mia, upload=jpeg(copy(draw_portrait(0))))
    assert "same photo" in error.message  # before: three copies counted as three photos
    assert len(ModelProfile.objects.get(user_id=model_mia.pk).reference_images) == 1
    assert sorted(settings.MEDIA_ROOT.rglob("*.jpg")) == files


def test_a_photo_may_be_replaced_by_a_copy_of_itself(model_mia):
    key = services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(0))
    services.reference_photo_add(actor=model_mia, upload=portrait_jpeg_bytes(1))
    mirrored = jpeg(draw_portrait(0).transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    services.reference_photo_replace(
        actor=model_mia, photo_id=selectors.photo_id_for(key), upload=mirrored
    )  # the photo it replaces does not count
    with pytest.raises(DomainError) as caught:  # but not by a copy of another one
        services.reference_photo_replace(
            actor=model_mia,
            photo_id=selectors.photo_id_for(
                ModelProfile.objects.get(user_id=model_mia.pk).reference_images[0]
            ),
            upload=portrait_jpeg_bytes(1),
        )
    assert caught.value.code == "duplicate_photo"


def test_the_detector_ships_inside_the_opencv_wheel():
    from pathlib import Path

    import cv2

    cascade = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    assert cascade.is_file() and cascade.is_relative_to(Path(cv2.__file__).parent)
    assert not faces._cascade().empty()
