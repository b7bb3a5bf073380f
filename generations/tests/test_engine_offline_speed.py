"""The vectorised mask clean-up and component search give exactly what the original
pure-Pillow/pure-Python versions gave (kept here as the reference)."""

from __future__ import annotations

import random
from collections import deque

import pytest
from PIL import Image, ImageDraw, ImageFilter

from generations.engines import offline


def _reference_repeat(mask, rank_filter, times):
    for _ in range(times):
        mask = mask.filter(rank_filter(3))
    return mask


def _reference_clean(mask):
    opened = _reference_repeat(
        _reference_repeat(mask, ImageFilter.MinFilter, 2), ImageFilter.MaxFilter, 2
    )
    return _reference_repeat(
        _reference_repeat(opened, ImageFilter.MaxFilter, 3), ImageFilter.MinFilter, 3
    )


def _neighbours(index, width, height):
    x, y = index % width, index // width
    if x > 0:
        yield index - 1
    if x < width - 1:
        yield index + 1
    if y > 0:
        yield index - width
    if y < height - 1:
        yield index + width


def _flood(starts, passable, marks, mark, size):
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


def _reference_components(mask):
    width, height = mask.size
    scale = offline._GRID_SIZE / max(width, height)
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
    outside = bytearray(gw * gh)
    border = [
        i
        for i in range(gw * gh)
        if not keep[i] and (i % gw in (0, gw - 1) or i // gw in (0, gh - 1))
    ]
    _flood(border, lambda i: not keep[i], outside, 1, (gw, gh))
    solid = bytes(0 if outside[i] else 255 for i in range(gw * gh))
    return Image.frombytes("L", (gw, gh), solid)


def _random_mask(seed: int, size=(300, 220)) -> Image.Image:
    rng = random.Random(seed)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(rng.randint(1, 12)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randint(1, 120), rng.randint(1, 120)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x, y, x + w, y + h], fill=255 if rng.random() < 0.75 else 0)
    for _ in range(rng.randint(0, 400)):  # specks, some on the edges
        mask.putpixel((rng.randrange(size[0]), rng.randrange(size[1])), rng.choice([0, 255]))
    return mask


@pytest.mark.parametrize("seed", range(12))
def test_the_separable_clean_up_equals_ten_passes_of_3x3_rank_filters(seed):
    mask = _random_mask(seed)
    assert offline._clean(mask).tobytes() == _reference_clean(mask).tobytes()


@pytest.mark.parametrize("seed", range(40))
def test_the_run_based_components_equal_the_flood_fill(seed):
    mask = _random_mask(seed, size=(160 + seed, 120 + 2 * seed))
    assert (
        offline._largest_component_and_holes(mask).tobytes()
        == _reference_components(mask).tobytes()
    )


def test_an_empty_mask_has_no_component():
    mask = Image.new("L", (50, 40), 0)
    assert offline._largest_component_and_holes(mask).getbbox() is None


def test_a_ring_keeps_its_hole_filled_and_its_outside_empty():
    mask = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(mask).ellipse([20, 20, 140, 140], fill=255)
    ImageDraw.Draw(mask).ellipse([60, 60, 100, 100], fill=0)
    out = offline._largest_component_and_holes(mask)
    assert out.getpixel((80, 80)) == 255
    assert out.getpixel((2, 2)) == 0
    assert out.tobytes() == _reference_components(mask).tobytes()
