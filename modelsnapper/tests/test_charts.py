"""Charts have axes: three y ticks up to a round top, dated x labels, no overlap."""

from __future__ import annotations

from decimal import Decimal

from modelsnapper.charts import MAX_X_LABELS, WIDTH, bar_chart, line_chart, nice_top


def test_nice_top_rounds_up_to_a_readable_value():
    assert [nice_top(v) for v in (0, 1, 3, 7, 12, 26, 140, 260)] == [
        1, 1, 5, 10, 20, 50, 200, 500,
    ]  # fmt: skip
    assert nice_top(Decimal("2.40")) == Decimal("2.5")


def test_a_bar_chart_has_y_ticks_and_at_most_six_x_labels():
    chart = bar_chart([(f"{day} Mar", day) for day in range(1, 31)])
    assert [tick.label for tick in chart.ticks] == ["0", "25", "50"]
    assert chart.ticks[0].y > chart.ticks[-1].y  # 0 at the bottom
    assert 1 < len(chart.x_labels) <= MAX_X_LABELS
    assert all(chart.left <= bar.x and bar.x + bar.width <= WIDTH for bar in chart.bars)


def test_a_line_chart_labels_its_first_and_last_date():
    chart = line_chart([("1 Dec", 10), ("2 Dec", 9), ("5 Dec", 59), ("9 Dec", 58)])
    labels = [label.label for label in chart.x_labels]
    assert labels[0] == "1 Dec" and labels[-1] == "9 Dec"
    assert [tick.label for tick in chart.ticks] == ["0", "50", "100"]
    assert len(chart.points.split()) == 4


def test_nothing_to_draw_is_no_chart():
    assert bar_chart([]) is None
    assert line_chart([("1 Dec", 3)]) is None
