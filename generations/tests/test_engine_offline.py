"""The offline engine: a real cut-out-and-fit compositor, deterministic and honest."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageStat

from generations.engines import EngineError, EngineRequest, get_engine
from generations.engines.base import OUTPUT_HEIGHT, OUTPUT_WIDTH
from generations.engines.offline import (
    COMPOSITE_SYNTHETIC,
    OfflineEngine,
    cut_out_garment,
    estimate_torso_box,
    garment_region,
)
from marketplace.avatar_art import DEMO_AVATARS, TORSO_BOX, avatar_jpeg_bytes

RED = (200, 30, 40)
NAVY = (30, 50, 120)


def _jpeg(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=options.pop("format", "JPEG"), **options)
    return out.getvalue()


def tee_photo(color=RED, background=(248, 248, 246), size=(900, 900), print_box=True) -> bytes:
    """A T-shirt on a plain backdrop, with a background-coloured print and a dust speck."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [
            *[(250, 150), (650, 150), (820, 330), (720, 420), (650, 360)],
            *[(650, 800), (250, 800), (250, 360), (180, 420), (80, 330)],
        ],
        fill=color,
    )
    draw.ellipse([380, 120, 520, 210], fill=background)
    if print_box:
        draw.rectangle([400, 400, 500, 480], fill=background)
    draw.rectangle([20, 20, 34, 34], fill=(0, 0, 0))
    return _jpeg(image, quality=92)


def trousers_photo(color=NAVY) -> bytes:
    image = Image.new("RGB", (700, 1000), (240, 240, 236))
    ImageDraw.Draw(image).polygon(
        [(200, 80), (500, 80), (560, 920), (380, 920), (350, 300), (320, 920), (140, 920)],
        fill=color,
    )
    return _jpeg(image)


def avatar() -> bytes:
    return avatar_jpeg_bytes(DEMO_AVATARS[0])


def _request(garment: bytes, category: str = "top", **kwargs) -> EngineRequest:
    kwargs.setdefault("wearer_jpeg", avatar())
    kwargs.setdefault("wearer_torso_box", TORSO_BOX)
    return EngineRequest(generation_id="a" * 24, garment_jpeg=garment, category=category, **kwargs)


def _mean(image: Image.Image, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    w, h = image.size
    crop = image.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
    return tuple(ImageStat.Stat(crop).mean)


def _distance(a, b) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=False)) / 3


def test_it_is_the_default_engine_and_says_what_it_is(settings):
    engine = get_engine()
    assert settings.GENERATION_ENGINE == "offline"
    assert isinstance(engine, OfflineEngine)
    assert engine.label == "Offline preview"


def test_output_is_a_3_by_4_jpeg_1024_wide_labelled_composite_synthetic():
    result = OfflineEngine().generate(_request(tee_photo()))
    image = Image.open(io.BytesIO(result.image_jpeg))
    assert image.format == "JPEG"
    assert image.size == (OUTPUT_WIDTH, OUTPUT_HEIGHT) == (1024, 1365)
    assert abs(image.width / image.height - 3 / 4) < 0.001
    assert result.digital_source_type == COMPOSITE_SYNTHETIC
    assert result.engine_name == "offline"


def test_same_inputs_give_the_same_bytes():
    first = OfflineEngine().generate(_request(tee_photo()))
    second = OfflineEngine().generate(_request(tee_photo()))
    assert first.image_jpeg == second.image_jpeg


def test_a_top_lands_on_the_torso_in_the_garment_colour():
    wearer = Image.open(io.BytesIO(avatar())).convert("RGB").resize((OUTPUT_WIDTH, OUTPUT_HEIGHT))
    result = OfflineEngine().generate(_request(tee_photo()))
    output = Image.open(io.BytesIO(result.image_jpeg)).convert("RGB")
    chest = (0.42, 0.45, 0.58, 0.55)
    before, after = _mean(wearer, chest), _mean(output, chest)
    assert _distance(after, RED) < 25  # the chest is now the shirt's red
    assert _distance(before, RED) > 50  # it was the dark bodysuit before
    # The face above the torso is untouched.
    face = (0.45, 0.14, 0.55, 0.2)
    assert _distance(_mean(wearer, face), _mean(output, face)) < 6


def test_a_background_coloured_print_inside_the_garment_is_kept_not_cut_out():
    output = Image.open(io.BytesIO(OfflineEngine().generate(_request(tee_photo())).image_jpeg))
    # The print is the only light area in the shirt's middle; the bodysuit would be dark.
    ys = range(round(0.35 * OUTPUT_HEIGHT), round(0.6 * OUTPUT_HEIGHT), 4)
    light = [
        output.getpixel((OUTPUT_WIDTH // 2, y)) for y in ys if min(output.getpixel((512, y))) > 200
    ]
    assert light, "the print should show as the garment's own light patch"


def test_a_bottom_sits_on_the_hips_and_legs():
    output = Image.open(
        io.BytesIO(OfflineEngine().generate(_request(trousers_photo(), "bottom")).image_jpeg)
    ).convert("RGB")
    legs = (0.44, 0.75, 0.47, 0.85)
    assert _distance(_mean(output, legs), NAVY) < 30
    chest = (0.42, 0.45, 0.58, 0.55)
    assert _distance(_mean(output, chest), NAVY) > 20  # the torso stays as it was


def test_regions_follow_the_category():
    top = garment_region("top", TORSO_BOX)
    bottom = garment_region("bottom", TORSO_BOX)
    one_piece = garment_region("one-piece", TORSO_BOX)
    swim = garment_region("swimwear", TORSO_BOX)
    assert bottom[1] > top[1] + 300  # trousers start at the hips, well below the shoulders
    assert one_piece[1] == top[1] and one_piece[3] > top[3]  # torso down to the thighs
    assert top[1] < swim[1] and swim[3] < one_piece[3]
    assert all(0 <= r[0] < r[2] <= OUTPUT_WIDTH for r in (top, bottom, one_piece, swim))
    assert all(0 <= r[1] < r[3] <= OUTPUT_HEIGHT for r in (top, bottom, one_piece, swim))


def test_the_torso_of_a_plain_backdrop_photo_is_estimated_from_the_figure():
    image = Image.new("RGB", (768, 1024), (225, 228, 232))
    draw = ImageDraw.Draw(image)
    draw.ellipse([330, 60, 440, 200], fill=(210, 170, 140))
    draw.rectangle([270, 210, 500, 620], fill=(60, 60, 70))
    draw.rectangle([290, 620, 480, 1000], fill=(40, 40, 60))
    left, top, right, bottom = estimate_torso_box(image)
    assert 0.3 < left < 0.4 and 0.6 < right < 0.7
    assert 0.2 < top < 0.35 and 0.55 < bottom < 0.7


def test_a_busy_photo_falls_back_to_portrait_proportions():
    image = Image.new("RGB", (300, 400))
    image.putdata(
        [((x * 37) % 256, (y * 91) % 256, (x * y) % 256) for y in range(400) for x in range(300)]
    )
    assert estimate_torso_box(image) == (0.30, 0.31, 0.70, 0.66)


def test_any_wearer_photo_works_without_a_known_torso():
    wearer = Image.new("RGB", (600, 800), (220, 225, 232))
    ImageDraw.Draw(wearer).rectangle([200, 180, 400, 700], fill=(60, 60, 70))
    result = OfflineEngine().generate(
        _request(tee_photo(), wearer_jpeg=_jpeg(wearer), wearer_torso_box=None)
    )
    assert Image.open(io.BytesIO(result.image_jpeg)).size == (OUTPUT_WIDTH, OUTPUT_HEIGHT)


def test_a_cut_out_keeps_the_garment_and_drops_the_speck():
    cutout = cut_out_garment(Image.open(io.BytesIO(tee_photo())).convert("RGB"))
    # The 14 px dust speck in the corner is not part of the garment's box.
    assert cutout.image.size[0] > 500 and cutout.image.size[1] > 500
    assert cutout.alpha.getpixel((0, 0)) < 128
    assert cutout.alpha.getpixel((cutout.alpha.width // 2, cutout.alpha.height // 2)) == 255


def test_a_transparent_png_cut_out_is_accepted():
    image = Image.new("RGBA", (500, 600), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([100, 100, 400, 500], fill=(20, 140, 90, 255))
    result = OfflineEngine().generate(_request(_jpeg(image, format="PNG"), "one-piece"))
    assert result.image_jpeg.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    ("photo", "code"),
    [
        (_jpeg(Image.new("RGB", (600, 600), (250, 250, 250))), "no_garment"),
        (_jpeg(Image.new("RGB", (600, 600), RED)), "no_garment"),
    ],
    ids=["blank-white", "all-garment-no-background"],
)
def test_a_photo_without_a_separable_garment_is_refused(photo, code):
    with pytest.raises(EngineError) as caught:
        OfflineEngine().generate(_request(photo))
    assert caught.value.code == code
    assert "garment" in caught.value.user_message
    assert caught.value.retryable is False


def test_a_busy_background_is_refused_with_a_clear_message():
    image = Image.new("RGB", (400, 400))
    image.putdata(
        [((x * 37) % 256, (y * 91) % 256, (x * y) % 256) for y in range(400) for x in range(400)]
    )
    with pytest.raises(EngineError) as caught:
        OfflineEngine().generate(_request(_jpeg(image)))
    assert caught.value.code == "busy_background"
    assert "plain" in caught.value.user_message


def test_garbage_input_is_refused_not_crashed():
    with pytest.raises(EngineError) as caught:
        OfflineEngine().generate(_request(b"not an image at all"))
    assert caught.value.code == "bad_input"
    with pytest.raises(EngineError):
        OfflineEngine().generate(_request(tee_photo(), wearer_jpeg=b"\xff\xd8garbage"))


@pytest.mark.parametrize("style", DEMO_AVATARS, ids=lambda style: style.name)
def test_the_estimate_finds_the_stock_avatars_torso_without_being_told(style):
    from generations.engines.offline import _fit_wearer
    from marketplace.avatar_art import draw_avatar

    estimate = estimate_torso_box(_fit_wearer(draw_avatar(style)))
    assert all(abs(a - b) < 0.04 for a, b in zip(estimate, TORSO_BOX, strict=True)), estimate


# --- pose-anchored preview -----------------------------------------------------------------


def _portrait_wearer(index: int = 0) -> tuple[bytes, float]:
    """A drawn head-and-shoulders photo and where its chin is (fraction of the height)."""
    from marketplace.avatar_art import PORTRAIT_VARIANTS, draw_portrait

    variant = PORTRAIT_VARIANTS[index]
    scale = 0.85 + (variant % 3) * 0.15
    chin = (int(800 * 0.41) + ((variant % 4) - 1) * 14 + 130 * scale) / 800
    out = io.BytesIO()
    draw_portrait(index).save(out, format="JPEG", quality=92)
    return out.getvalue(), chin


@pytest.mark.parametrize("index", range(3))
def test_a_top_hangs_from_the_shoulders_found_from_the_face_not_over_the_chin(index):
    from PIL import ImageChops

    from generations.engines.offline import (
        _fit_wearer,
        _open_rgb,
        estimate_torso_box,
        garment_region,
        pose_torso_box,
    )

    wearer, chin = _portrait_wearer(index)
    chin_y = chin * OUTPUT_HEIGHT
    canvas = _fit_wearer(_open_rgb(wearer, what="wearer photo", max_side=OUTPUT_HEIGHT))
    assert garment_region("top", estimate_torso_box(canvas))[1] < chin_y  # before: over the chin
    torso = pose_torso_box(canvas)
    assert torso is not None
    top = garment_region("top", torso)[1]
    assert top > chin_y

    result = OfflineEngine().generate(
        EngineRequest(
            generation_id="b" * 24, garment_jpeg=tee_photo(), wearer_jpeg=wearer, category="top"
        )
    )
    output = Image.open(io.BytesIO(result.image_jpeg)).convert("RGB")
    # The face down to the chin is the wearer's own, untouched by garment or shadow ...
    band = (0, round(chin_y - 0.12 * OUTPUT_HEIGHT), OUTPUT_WIDTH, round(chin_y))
    difference = ImageStat.Stat(ImageChops.difference(canvas.crop(band), output.crop(band)))
    assert max(difference.mean) < 3
    # ... and the red tee is below it.
    red, green, _ = ImageStat.Stat(
        output.crop((OUTPUT_WIDTH // 3, top + 60, 2 * OUTPUT_WIDTH // 3, top + 160))
    ).mean
    assert red - green > 60


def test_a_wearer_without_a_face_falls_back_to_the_figure_and_stays_a_preview():
    from generations.engines.offline import pose_torso_box
    from generations.tests.conftest import person_jpeg

    assert pose_torso_box(Image.open(io.BytesIO(person_jpeg()))) is None
    for wearer in (person_jpeg(), _portrait_wearer(0)[0]):
        result = OfflineEngine().generate(
            EngineRequest(
                generation_id="c" * 24, garment_jpeg=tee_photo(), wearer_jpeg=wearer, category="top"
            )
        )
        assert result.engine_name == "offline"
        assert result.digital_source_type == COMPOSITE_SYNTHETIC
        image = Image.open(io.BytesIO(result.image_jpeg)).convert("RGB")
        label = image.crop((12, OUTPUT_HEIGHT - 33, 150, OUTPUT_HEIGHT - 15))
        assert ImageStat.Stat(label).extrema[0][1] >= 240  # the "offline preview" label


# --- the wearer's body: shoulders measured on the silhouette, arms and hair in front --------


def _portrait_geometry(index: int, neck: int = 0) -> dict[str, float]:
    """Where ``draw_portrait`` put things, in output pixels (a 600x800 drawing is 3:4, so
    the output is the drawing scaled by 1024/600)."""
    from marketplace.avatar_art import PORTRAIT_VARIANTS

    variant = PORTRAIT_VARIANTS[index]
    s = 0.85 + (variant % 3) * 0.15
    cx = 300 + ((variant % 5) - 2) * 18
    cy = int(800 * 0.41) + ((variant % 4) - 1) * 14
    k = OUTPUT_WIDTH / 600
    return {
        "s": s * k,
        "cx": cx * k,
        "shoulders": (cy + (175 + neck) * s) * k,
        "chin": (cy + 130 * s) * k,
    }


def _wearer_canvas(**drawing) -> tuple[bytes, Image.Image]:
    from generations.engines.offline import _fit_wearer, _open_rgb
    from marketplace.avatar_art import draw_portrait

    index = drawing.pop("index")
    data = _jpeg(draw_portrait(index, **drawing), quality=92)
    return data, _fit_wearer(_open_rgb(data, what="wearer photo", max_side=OUTPUT_HEIGHT))


def sweater_photo(color=RED) -> bytes:
    """A boxy sweater laid flat with its sleeves out: wide enough to cover arms and hair."""
    image = Image.new("RGB", (1000, 700), (248, 248, 246))
    ImageDraw.Draw(image).rectangle([40, 40, 960, 660], fill=color)
    return _jpeg(image, quality=92)


@pytest.mark.parametrize(
    ("index", "drawing"),
    [
        *[(0, {}), (0, {"neck": 90}), (1, {}), (1, {"neck": 40}), (2, {"neck": 40})],
        *[(3, {}), (4, {}), (3, {"long_hair": True}), (4, {"long_hair": True})],
        (4, {"long_hair": True, "arms": True}),
    ],
)
def test_the_shoulder_line_is_measured_on_the_silhouette_not_guessed_from_the_face(index, drawing):
    from generations.engines.wearer import (
        CHIN_BELOW_FACE_TOP,
        SHOULDERS_BELOW_CHIN,
        find_body,
    )
    from modelsnapper import faces

    _, canvas = _wearer_canvas(index=index, **drawing)
    truth = _portrait_geometry(index, drawing.get("neck", 0))["shoulders"]
    body = find_body(canvas)
    assert body is not None and body.shoulders_measured
    assert abs(body.torso[1] * OUTPUT_HEIGHT - truth) <= 0.015 * OUTPUT_HEIGHT
    # The face's proportions alone (what the preview used before) miss this drawing's line.
    face = faces.find_faces(canvas)[0]
    guessed = face.y + face.height * (CHIN_BELOW_FACE_TOP + SHOULDERS_BELOW_CHIN)
    assert abs(guessed - truth) > 0.02 * OUTPUT_HEIGHT
    # The shoulders' width is the drawing's body (420 units), not a guess.
    measured = (body.torso[2] - body.torso[0]) * OUTPUT_WIDTH
    assert measured == pytest.approx(420 * _portrait_geometry(index)["s"], rel=0.08)


def _stays(canvas: Image.Image, output: Image.Image, box: tuple[float, ...]) -> float:
    """Mean channel difference between the wearer photo and the output inside ``box``."""
    from PIL import ImageChops

    box = tuple(round(v) for v in box)
    return max(ImageStat.Stat(ImageChops.difference(canvas.crop(box), output.crop(box))).mean)


def _in_front_of_a_sweater(index: int, *, strip: tuple[int, int], rows: tuple[int, int], **drawing):
    """Dresses a portrait (``drawing``: arms or long hair) in the red sweater and checks
    that the two strips drawn ``strip`` units either side of the middle stay the wearer's
    own over ``rows`` (units below the shoulders), while the sweater covers the chest."""
    wearer, canvas = _wearer_canvas(index=index, **drawing)
    g = _portrait_geometry(index)
    result = OfflineEngine().generate(
        EngineRequest(
            generation_id="d" * 24, garment_jpeg=sweater_photo(), wearer_jpeg=wearer, category="top"
        )
    )
    output = Image.open(io.BytesIO(result.image_jpeg)).convert("RGB")
    s, cx = g["s"], g["cx"]
    top, bottom = g["shoulders"] + rows[0] * s, g["shoulders"] + rows[1] * s
    middle, half = (strip[0] + strip[1]) / 2, (strip[1] - strip[0]) / 2 - 15
    for side in (-1, 1):
        x = cx + side * middle * s
        assert _stays(canvas, output, (x - half * s, top, x + half * s, bottom)) < 8
    chest = (round(cx - 40 * s), round(top), round(cx + 40 * s), round(bottom))
    red, green, _ = ImageStat.Stat(output.crop(chest)).mean
    assert red - green > 100


# Portrait 3's light arms are the colour of its beige wall: no mask tells them apart, so
# they go behind the garment (README says so).
@pytest.mark.parametrize("index", [0, 1, 2, 4])
def test_bare_arms_beside_the_torso_stay_in_front_of_the_garment(index):
    # The arms are drawn 150..215 units out, from 90 units below the shoulders.
    _in_front_of_a_sweater(index, strip=(150, 215), rows=(160, 260), arms=True)


@pytest.mark.parametrize("index", [1, 2, 3, 4])  # portrait 0's cascade finds no face with it
def test_hair_falling_over_the_shoulders_stays_in_front_of_the_garment(index):
    # The locks are drawn 95..150 units out, down to 140 units below the shoulders.
    _in_front_of_a_sweater(index, strip=(95, 150), rows=(30, 110), long_hair=True)


def test_a_silhouette_without_shoulders_falls_back_to_the_faces_proportions_in_front_of_nothing(
    monkeypatch,
):
    import numpy as np

    from generations.engines import wearer

    # A head alone (a disc) has no row where it widens into shoulders ...
    rows, columns = np.ogrid[:192, :144]
    head = (rows - 60) ** 2 + (columns - 72) ** 2 <= 30**2
    face = wearer.faces.Face(x=300, y=250, width=300, height=300)
    assert wearer._shoulder_line(head, face, 144 / 1024) is None
    # ... and one that does, widens where it was drawn to.
    body = head | ((rows >= 120) & (columns >= 20) & (columns < 124))
    body |= (rows >= 90) & (np.abs(columns - 72) <= 8)  # the neck
    assert wearer._shoulder_line(body, face, 144 / 1024) == (120.0, 20.0, 124.0)

    # When GrabCut finds no figure, the face's proportions place the torso, nothing is in front.
    monkeypatch.setattr(wearer, "_person_mask", lambda *args: None)
    _, canvas = _wearer_canvas(index=0)
    found = wearer.find_body(canvas)
    assert found is not None and not found.shoulders_measured and found.front is None
    assert found.torso[1] * OUTPUT_HEIGHT > _portrait_geometry(0)["chin"]


@pytest.mark.parametrize("drawing", [{}, {"arms": True, "long_hair": True}])
def test_a_measured_body_gives_the_same_bytes_every_time(drawing):
    wearer, _ = _wearer_canvas(index=1, **drawing)

    def once() -> bytes:
        return (
            OfflineEngine()
            .generate(
                EngineRequest(
                    generation_id="f" * 24,
                    garment_jpeg=tee_photo(),
                    wearer_jpeg=wearer,
                    category="top",
                )
            )
            .image_jpeg
        )

    assert len({once() for _ in range(3)}) == 1


def _full_length_figure(index: int, torso: float) -> tuple[bytes, dict[str, float]]:
    """A figure shown down to the legs (3:4, 768x1024): a drawn portrait's head on a torso
    that narrows to a waist and widens to the hips, bare arms apart from it, and legs.
    ``torso`` stretches the torso. Returns the JPEG and the lines drawn, in output pixels."""
    from PIL import ImageFilter

    from marketplace.avatar_art import _BACKDROPS, _SKINS, PORTRAIT_VARIANTS, draw_portrait

    variant = PORTRAIT_VARIANTS[index]
    head_width, head_height = 300, 400
    head = draw_portrait(index, size=(head_width, head_height))
    s = (0.85 + (variant % 3) * 0.15) * head_width / 600
    head_cx = head_width // 2 + ((variant % 5) - 2) * 18
    head_cy = int(head_height * 0.41) + ((variant % 4) - 1) * 14
    neck_bottom = round(head_cy + 175 * s)
    width, height = 768, 1024
    image = Image.new("RGB", (width, height), _BACKDROPS[(variant * 3) % len(_BACKDROPS)])
    image.paste(head.crop((0, 0, head_width, neck_bottom)), (width // 2 - head_cx, 30))
    draw = ImageDraw.Draw(image)
    x, shoulders, u = width // 2, 30 + neck_bottom, 200 * s
    waist, hips = shoulders + 1.6 * u * torso, shoulders + 2.2 * u * torso
    crotch = hips + 0.5 * u
    draw.polygon(
        [
            *[
                (x - 1.05 * u, shoulders),
                (x + 1.05 * u, shoulders),
                (x + 0.95 * u, shoulders + 0.5 * u),
            ],
            *[
                (x + 0.7 * u, waist),
                (x + 0.9 * u, hips),
                (x + 0.85 * u, crotch),
                (x - 0.85 * u, crotch),
            ],
            *[(x - 0.9 * u, hips), (x - 0.7 * u, waist), (x - 0.95 * u, shoulders + 0.5 * u)],
        ],
        fill=(83, 127, 61),
    )
    for side in (-1, 1):
        draw.rectangle(
            (
                min(x + side * 0.1 * u, x + side * 0.85 * u),
                crotch - 5,
                max(x + side * 0.1 * u, x + side * 0.85 * u),
                height,
            ),
            fill=(40, 40, 70),
        )
        draw.rectangle(
            (
                min(x + side * 1.25 * u, x + side * 1.55 * u),
                shoulders + 0.2 * u,
                max(x + side * 1.25 * u, x + side * 1.55 * u),
                hips,
            ),
            fill=_SKINS[variant % len(_SKINS)],
        )
    k = OUTPUT_WIDTH / width
    return _jpeg(image.filter(ImageFilter.GaussianBlur(2)), quality=92), {
        "shoulders": shoulders * k,
        "hips": hips * k,
        "x": x * k,
    }


@pytest.mark.parametrize(("index", "torso"), [(1, 1.0), (1, 1.1), (1, 1.2)])
def test_on_a_full_length_figure_the_hips_are_measured_and_trousers_hang_from_them(index, torso):
    from generations.engines.offline import _fit_wearer, _open_rgb, garment_region
    from generations.engines.wearer import (
        CHIN_BELOW_FACE_TOP,
        SHOULDERS_BELOW_CHIN,
        TORSO_LENGTH,
        find_body,
    )
    from modelsnapper import faces

    wearer, lines = _full_length_figure(index, torso)
    canvas = _fit_wearer(_open_rgb(wearer, what="wearer photo", max_side=OUTPUT_HEIGHT))
    body = find_body(canvas)
    assert body is not None and body.shoulders_measured
    assert abs(body.torso[1] * OUTPUT_HEIGHT - lines["shoulders"]) <= 0.015 * OUTPUT_HEIGHT
    assert abs(body.torso[3] * OUTPUT_HEIGHT - lines["hips"]) <= 0.02 * OUTPUT_HEIGHT
    # A torso length below the shoulders (what the preview used before) misses these hips.
    face = faces.find_faces(canvas)[0]
    guessed = face.y + face.height * (CHIN_BELOW_FACE_TOP + SHOULDERS_BELOW_CHIN + TORSO_LENGTH)
    assert abs(min(guessed, OUTPUT_HEIGHT) - lines["hips"]) > 0.035 * OUTPUT_HEIGHT

    result = OfflineEngine().generate(
        EngineRequest(
            generation_id="9" * 24,
            garment_jpeg=trousers_photo(),
            wearer_jpeg=wearer,
            category="bottom",
        )
    )
    output = Image.open(io.BytesIO(result.image_jpeg)).convert("RGB")
    # The trousers' waistband is the first navy row down the figure's middle ...
    column = [output.getpixel((round(lines["x"]), y)) for y in range(OUTPUT_HEIGHT)]
    waistband = next(y for y, (r, _, b) in enumerate(column) if b - r > 60)
    # ... where the bottom's region starts, just above the hips: the drawn ones, not a guess.
    assert waistband == pytest.approx(garment_region("bottom", body.torso)[1], abs=6)
    drawn = lines["hips"] - 0.12 * (lines["hips"] - lines["shoulders"])
    assert abs(waistband - drawn) <= 0.025 * OUTPUT_HEIGHT


def test_a_batch_on_one_wearer_photo_measures_its_body_once(monkeypatch):
    from generations.engines import offline

    calls = []
    measure = offline.find_body
    monkeypatch.setattr(offline, "find_body", lambda canvas: calls.append(1) or measure(canvas))
    monkeypatch.setattr(offline, "_bodies", type(offline._bodies)())
    wearer, _ = _wearer_canvas(index=2, arms=True)
    other, _ = _wearer_canvas(index=1)

    def dress(photo: bytes, garment: bytes) -> bytes:
        return offline.composite(garment=garment, wearer=photo, category="top")

    first = dress(wearer, tee_photo())
    assert [dress(wearer, tee_photo()) for _ in range(3)] == [first] * 3
    dress(wearer, sweater_photo())
    assert len(calls) == 1  # the same photo: measured once
    dress(other, tee_photo())
    assert len(calls) == 2


def test_a_silhouette_that_stops_under_the_shoulders_still_gets_a_torso(monkeypatch):
    from generations.engines import wearer
    from modelsnapper import faces

    measure = wearer._person_mask

    def bust(rgb, face, scale):  # the figure ends three rows under its shoulder line
        person = measure(rgb, face, scale)
        line = wearer._shoulder_line(person, face, scale)
        person[int(line[0]) + 3 :] = False
        return person

    monkeypatch.setattr(wearer, "_person_mask", bust)
    _, canvas = _wearer_canvas(index=1)
    body = wearer.find_body(canvas)
    assert body is not None and body.shoulders_measured
    face_height = faces.find_faces(canvas)[0].height
    assert (body.torso[3] - body.torso[1]) * OUTPUT_HEIGHT >= 0.99 * face_height
