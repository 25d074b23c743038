"""The scope cards' figures (#19): one format for the row, exact wherever it fits, a
compact limit never rounded, and at every size the figures and the % sign stay."""

from __future__ import annotations

import re

import pytest

from usage_top.domain.measures import REQUESTS, money
from usage_top.widgets.scope_card import ScopeCard, limit_text

from .conftest import settle


@pytest.mark.parametrize("value, text", [
    (193_500, "193.5k"), (194_000, "194k"), (48_000, "48k"), (6_570, "6.57k"),
    (2_133, "2.133k"), (1_500_000, "1.5M"), (1_234_567, "1,234,567"), (102, "102"),
])
def test_a_compact_limit_is_exact(value, text):
    assert limit_text(REQUESTS, value) == text


def test_a_money_limit_is_exact():
    usd = money("usd")
    assert (limit_text(usd, 500), limit_text(usd, 1250)) == ("$500", "$1,250.00")


def _figures(card: ScopeCard) -> str:
    """'5.4k / 193.5k' (or '5.4k/193.5k' on one line): the card's used / limit as drawn."""
    line = card.render().plain.splitlines()[0]
    match = re.search(r"([\d.,]+[kMG]?) ?/ ?([\d.,]+[kMG]?)", line)
    assert match, line
    return match.group(0)


def _formats(card: ScopeCard) -> set[str]:
    """'exact' for a figure of 1,000 or more in full, 'compact' for one with k/M/G (one
    under 1,000 reads the same in both)."""
    found = set()
    for figure in re.split(r" ?/ ?", _figures(card)):
        if figure[-1] in "kMG":
            found.add("compact")
        elif float(figure.replace(",", "")) >= 1000:
            found.add("exact")
    return found


@pytest.mark.parametrize("size", [(120, 36), (200, 50), (80, 24), (60, 20)])
async def test_one_format_per_row_and_the_figures_and_percent_stay(make_app, size):
    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()
        cards = list(pilot.app.screen.query(ScopeCard))
        assert len(cards) == 6
        formats = set().union(*(_formats(card) for card in cards))
        assert len(formats) == 1, [_figures(card) for card in cards]  # all exact or all compact
        for card in cards:
            line = card.render().plain.splitlines()[0]
            usage = card.view.usage
            assert f"{usage.percent:.1f}%" in line, line
            used, limit = re.split(r" ?/ ?", _figures(card))
            if formats == {"exact"}:
                assert (used, limit) == (f"{usage.used:,.0f}", f"{usage.limit:,.0f}")
            else:
                assert limit == limit_text(usage.unit, usage.limit)  # never a rounded limit
        if size == (200, 50):
            assert formats == {"exact"}  # exact wherever it fits
        if size == (80, 24):  # one-line cards: a gap after every title, 'Portal monthly' too
            for card in cards:
                line = card.render().plain.splitlines()[0]
                assert line.startswith(card.view.usage.title + " "), line
