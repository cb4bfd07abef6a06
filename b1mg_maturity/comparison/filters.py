"""What the Compare page shows (:class:`Filters`) and what it may offer (choices).  Pure.

The address codec (query parameters <-> :class:`Filters`) lives with the page,
in :mod:`b1mg_maturity.ui.compare_address`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from b1mg_maturity.i18n import _

RoundsMode = Literal["latest", "label", "dates"]
GroupKind = Literal["all", "list", "region"]
ROUNDS_MODES: tuple[RoundsMode, ...] = ("latest", "label", "dates")
GROUP_KINDS: tuple[GroupKind, ...] = ("all", "list", "region")
VIEWS = ("radar", "heatmap", "indicators", "distribution", "trends", "gaps")
SORTS = ("name", "overall")  # or a domain id
OVERALL = "overall"
MAX_OVERLAY = 6


@dataclass(frozen=True)
class Filters:
    """What the compare page shows.  Round-trips through the address (``?view=...&rounds=...``)."""

    view: str = "radar"
    rounds: RoundsMode = "latest"
    label: str | None = None  # with rounds="label"
    date_from: dt.date | None = None  # with rounds="dates"
    date_to: dt.date | None = None
    questionnaire: str | None = None  # "id@version"; None: the one most health systems used
    pillar: str | None = None
    group: GroupKind = "all"
    members: tuple[str, ...] = ()  # group="list": health system codes
    region: str = ""  # group="region": a code prefix such as "ES-" or "DE"
    systems: tuple[str, ...] = ()  # overlaid and highlighted health systems; the first is the focus
    domain: str | None = None  # the domain of the indicator heatmap
    item: str = OVERALL  # the trend shown: "overall" or a domain id
    sort: str = "name"  # heatmap order: name, overall, or a domain id (highest first)

    def includes_system(self, code: str) -> bool:
        """Whether a health system belongs to the chosen group (named view)."""
        if self.group == "list":
            return code in self.members
        if self.group == "region":
            return code.startswith(self.region) if self.region else True
        return True

    def includes_round(self, label: str, date: dt.date) -> bool:
        """Whether a round is in the chosen rounds (a label, a date range, or any: the latest is taken later)."""
        if self.rounds == "label":
            return label == self.label
        if self.rounds == "dates":
            if self.date_from and date < self.date_from:
                return False
            return not (self.date_to and date > self.date_to)
        return True

    def group_text(self) -> str:
        """The group in words, for a note."""
        if self.group == "list":
            return _("list {codes}", codes=", ".join(self.members))
        if self.group == "region":
            return _("codes starting with {prefix}", prefix=self.region)
        return _("all")


@dataclass(frozen=True)
class QuestionnaireChoice:
    key: str  # "id@version"
    questionnaire_id: str
    version: str
    title: str
    systems: int  # health systems with a published round of this version


@dataclass(frozen=True)
class SystemChoice:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.code} · {self.name}"
