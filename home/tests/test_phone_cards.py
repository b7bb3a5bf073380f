"""On a phone every list reads as cards: each list table is marked ``cards`` and each
cell carries its column's name (shown above the value by app.css under 700 px)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LIST_TABLE = re.compile(r'<table class="(table[^"]*)">(.*?)</table>', re.S)


def _list_tables():
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in LIST_TABLE.finditer(path.read_text()):
            if "<thead>" in match.group(2):
                yield path.relative_to(TEMPLATES), match.group(1), match.group(2)


def test_there_are_list_tables_to_check():
    assert len(list(_list_tables())) >= 8


@pytest.mark.parametrize(
    ("template", "classes", "body"), list(_list_tables()), ids=lambda v: str(v)[:40]
)
def test_each_list_table_becomes_cards_with_a_label_per_cell(template, classes, body):
    assert "cards" in classes.split(), f"{template}: list table without the cards class"
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    assert tbody, template
    cells = re.findall(r"<td(?:\s[^>]*)?>", tbody.group(1))
    assert cells, template
    unlabelled = [cell for cell in cells if "data-label=" not in cell]
    assert unlabelled == [], f"{template}: cells without data-label"


def test_the_stylesheet_turns_card_tables_into_cards_below_700px():
    css = (TEMPLATES.parent / "static" / "css" / "app.css").read_text()
    assert "table.table.cards td::before { content: attr(data-label)" in css
    assert "table.table.cards thead { display: none; }" in css
