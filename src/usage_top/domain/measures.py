"""Measures and units: what a figure counts, and how it is written.

A provider declares the measures it reports (``Capabilities.measures``); every
figure above the adapters is a value of one of them, keyed by the measure's id.
A measure a provider does not report is absent from a row's figures, never 0:
it is written "—" and left out of sums and shares.

One formatter per unit kind, so a count is never shown with cents and money
never loses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

MISSING = "—"
"""What a figure the vendor does not report is shown as."""
EST = "est."
"""Said after every figure usage-top estimated (``Measure.estimate``)."""

Figures = Mapping[str, float]
"""Values by measure id; a measure that is not reported is absent."""

_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


class UnitKind(StrEnum):
    """How a unit's figures are written."""

    COUNT = "count"
    """Whole things (requests, tokens): no decimals."""
    AMOUNT = "amount"
    """A vendor's own currency of use (credits): whole when whole, else two decimals."""
    MONEY = "money"
    """A real currency: always two decimals, with its sign or code."""


@dataclass(frozen=True)
class Unit:
    """The unit of a measure: its kind and the noun said after a figure."""

    kind: UnitKind
    name: str
    """Plural noun ("requests", "tokens", "credits") or, for money, the ISO code ("USD")."""

    def text(self, value: float | None) -> str:
        """The full figure: '1,234', '1,234.50' credits, '$1,234.56'; '—' when absent."""
        if value is None:
            return MISSING
        if self.kind is UnitKind.MONEY:
            return self._money(f"{value:,.2f}")
        if self.kind is UnitKind.AMOUNT and not float(value).is_integer() and abs(value) < 1e6:
            return f"{value:,.2f}"
        return f"{value:,.0f}"

    def rounded(self, value: float | None) -> str:
        """A derived figure (an average, a projection): whole for counts and amounts,
        cents for money; a fraction of a credit there would only be noise."""
        if value is None or self.kind is UnitKind.MONEY:
            return self.text(value)
        return f"{value:,.0f}"

    def compact(self, value: float | None) -> str:
        """At most about 6 characters: '987', '12.3k', '4.5M', '$1.2k', '$0.42'."""
        if value is None:
            return MISSING
        if self.kind is UnitKind.MONEY and abs(value) < 1000:
            return self._money(f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}")
        text = compact_number(value)
        return self._money(text) if self.kind is UnitKind.MONEY else text

    def with_name(self, value: float | None) -> str:
        """'1,234 requests', '$12.50' (money says its sign instead of a noun)."""
        figure = self.text(value)
        return figure if self.kind is UnitKind.MONEY or value is None else f"{figure} {self.name}"

    def _money(self, figure: str) -> str:
        sign = _CURRENCY_SIGNS.get(self.name.upper())
        if figure.startswith("-"):
            return "-" + self._money(figure[1:])
        return f"{sign}{figure}" if sign else f"{figure} {self.name.upper()}"


def compact_number(value: float) -> str:
    """A number in at most 5 characters: 987, 12.3k, 4.5M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def money(currency: str) -> Unit:
    """The unit of amounts in ``currency`` (ISO code, any case)."""
    return Unit(UnitKind.MONEY, currency.upper())


REQUESTS = Unit(UnitKind.COUNT, "requests")
TOKENS = Unit(UnitKind.COUNT, "tokens")


@dataclass(frozen=True)
class Measure:
    """Something a provider counts: an id figures are keyed by, a label, a unit."""

    id: str
    label: str
    """Column header and chart title word: "Requests", "Cost", "Input tokens"."""
    unit: Unit
    abbr: str = ""
    """Short form for narrow share columns ("req" in "%req"); the label when empty."""
    estimate: bool = False
    """Computed by usage-top (tokens × a price table), not reported by the vendor: its
    figures are labelled "est." and never added to the vendor's."""

    def text(self, figures: Figures) -> str:
        """This measure's figure in ``figures`` as a table cell writes it (``cell``)."""
        return self.cell(figures.get(self.id))

    def cell(self, value: float | None) -> str:
        """'1,234', '$12.34'; an estimate says so in every cell: '$3.10 est.' ('—' when absent)."""
        return self.labelled(self.unit.text(value), value)

    def labelled(self, figure: str, value: float | None) -> str:
        """``figure`` (any form of ``value``: compact, per day) with 'est.' after it when
        this measure is an estimate and there is a figure."""
        return f"{figure} {EST}" if self.estimate and value is not None else figure

    def value(self, figures: Figures) -> float | None:
        return figures.get(self.id)

    def abbreviated(self, figures: Figures) -> str:
        """'1,204 req', '$3.10 $', '$3.10 est.' (an estimate's 'est.' says what it is),
        '— $ est': a figure with its short name, for one-line summaries."""
        value = figures.get(self.id)
        if self.estimate and value is not None:
            return self.cell(value)
        return f"{self.unit.text(value)} {self.abbr or self.label.lower()}"

    def with_label(self, figures: Figures) -> str:
        """'1,234 requests', '567 credits', '$12.34', '$3.10 est.' ('— requests' when absent)."""
        value = figures.get(self.id)
        figure = self.unit.text(value)
        if self.unit.kind is not UnitKind.MONEY:
            figure = f"{figure} {self.label.lower()}"
        return self.labelled(figure, value)


def add(into: dict[str, float], figures: Figures) -> dict[str, float]:
    """Add ``figures`` into ``into`` measure by measure (absent stays absent)."""
    for measure, value in figures.items():
        into[measure] = into.get(measure, 0.0) + value
    return into


def share(part: float | None, whole: float | None) -> float | None:
    """``part`` as a percentage of ``whole``; None when either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole
