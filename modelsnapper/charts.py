"""Small SVG charts with axes, computed server-side (no chart library, no inline style).

Every chart is drawn in a 360-unit-wide viewBox: on a 390 px phone it is shown about
1:1, so its 11-unit labels stay readable, and on a desktop it scales up. A chart has a
y axis with three ticks (0, half, a round top value) and at most ``MAX_X_LABELS``
date labels under the x axis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 360
HEIGHT = 200
LEFT = 40  # room for the y-axis labels
RIGHT = 8
TOP = 14
BOTTOM = 26  # room for the x-axis labels
MAX_X_LABELS = 6

Number = int | Decimal


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Number
    x: float
    cx: float
    y: float
    width: float
    height: float
    label_y: float
    show_label: bool
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float  # x of the plot's right edge
    baseline: float  # y of the x axis
    ticks: list[Tick]
    x_labels: list[XLabel]
    bars: list[Bar]
    points: str = ""  # polyline points (line charts)


def nice_top(peak: Number) -> Decimal:
    """The smallest of 1, 2, 2.5, 5 times 10^n at or above ``peak`` (at least 1)."""
    peak = Decimal(peak)
    if peak <= 1:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(peak))) - 1)
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if step * magnitude >= peak:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _ticks(top: Decimal, fmt: Callable[[Decimal], str]) -> list[Tick]:
    plot = HEIGHT - TOP - BOTTOM
    return [
        Tick(y=round(HEIGHT - BOTTOM - float(fraction) * plot, 1), label=fmt(top * fraction))
        for fraction in (Decimal(0), Decimal("0.5"), Decimal(1))
    ]


def _label_every(count: int) -> int:
    return max(1, -(-count // MAX_X_LABELS))


def bar_chart(
    items: Sequence[tuple[str, Number]], *, fmt: Callable[[Decimal], str] = _plain
) -> Chart | None:
    """Bars for (label, amount) pairs in order; None when there is nothing to draw."""
    if not items:
        return None
    top = nice_top(max(Decimal(amount) for _label, amount in items))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    slot = plot_width / len(items)
    width = min(slot * 0.7, 36)
    every = _label_every(len(items))
    # Counted back from the newest bar, so the latest period is always labelled.
    labelled = set(range(len(items) - 1, -1, -every))
    bars = []
    for index, (label, amount) in enumerate(items):
        height = float(Decimal(amount) / top) * plot_height
        center = LEFT + index * slot + slot / 2
        bars.append(
            Bar(
                label=label,
                amount=amount,
                x=round(center - width / 2, 1),
                cx=round(center, 1),
                y=round(baseline - height, 1),
                width=round(width, 1),
                height=round(height, 1),
                label_y=round(max(baseline - height - 4, TOP - 2), 1),
                show_label=index in labelled,
                title=f"{label}: {fmt(Decimal(amount))}",
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        ticks=_ticks(top, fmt),
        x_labels=[XLabel(x=bar.cx, label=bar.label) for bar in bars if bar.show_label],
        bars=bars,
    )


def line_chart(
    points: Sequence[tuple[str, Number]], *, fmt: Callable[[Decimal], str] = _plain
) -> Chart | None:
    """A line through (label, value) pairs, oldest first; None with fewer than two."""
    if len(points) < 2:
        return None
    top = nice_top(max(Decimal(value) for _label, value in points))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = HEIGHT - BOTTOM
    step = plot_width / (len(points) - 1)
    coords = [
        (LEFT + index * step, baseline - float(Decimal(value) / top) * plot_height)
        for index, (_label, value) in enumerate(points)
    ]
    # First and last date always, and a few between (no two labels on top of each other).
    every = _label_every(len(points))
    shown = sorted({0, len(points) - 1, *range(0, len(points), every)})
    if len(shown) > 2 and shown[-1] - shown[-2] < every:
        shown.pop(-2)
    x_labels = [
        XLabel(
            x=round(coords[index][0], 1),
            label=points[index][0],
            anchor="start" if index == 0 else "end" if index == len(points) - 1 else "middle",
        )
        for index in shown
    ]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        baseline=baseline,
        ticks=_ticks(top, fmt),
        x_labels=x_labels,
        bars=[],
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
    )
