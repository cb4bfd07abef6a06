"""The questionnaire as a frozen value: pydantic models with ``extra="forbid"`` (see :mod:`.loader` for reading
and checking a file)."""

from __future__ import annotations

import hashlib
import json
import typing
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

PillarId = Literal["elsi", "standards", "infrastructure", "healthcare"]
PILLAR_IDS: tuple[str, ...] = typing.get_args(PillarId)

Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Weight = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Frozen):
    citation: Text
    url: str | None = None
    notice: str | None = None


class ScaleLevel(_Frozen):
    level: int
    label: Text
    description: Text


class Pillar(_Frozen):
    id: PillarId
    name: Text
    description: str | None = None


class Resource(_Frozen):
    """Guidance that helps a team reach the next level: shown as a link, never fetched."""

    title: Annotated[str, Field(min_length=1, max_length=300)]
    url: Annotated[str, Field(min_length=12, max_length=2_000)]

    @field_validator("url")
    @classmethod
    def _https_only(cls, value: str) -> str:
        parsed = urlsplit(value)
        if parsed.scheme != "https" or not parsed.hostname or any(c.isspace() for c in value):
            raise PydanticCustomError("https_url", "not an https address")  # worded by the loader
        return value


class Indicator(_Frozen):
    id: Identifier
    statement: Text
    guidance: str | None = None
    levels: dict[int, Text]
    weight: Weight = 1.0
    # Links to guidance are not part of what a round is rated against: left out of the content hash (and of
    # every dump), so that adding one keeps the questionnaire's identity and its rounds.
    resources: tuple[Resource, ...] = Field(default=(), exclude=True)

    @field_validator("levels")
    @classmethod
    def _ordered(cls, value: dict[int, str]) -> dict[int, str]:
        return dict(sorted(value.items()))

    def next_step(self, level: int) -> str | None:
        """The description of the level above ``level``, or None at the top."""
        return self.levels.get(level + 1)


class Subdomain(_Frozen):
    id: Identifier
    name: Text
    description: str | None = None
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Domain(_Frozen):
    id: Identifier
    code: str | None = None
    name: Text
    pillar: PillarId
    description: str | None = None
    weight: Weight = 1.0
    subdomains: tuple[Subdomain, ...] = Field(min_length=1)

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for sub in self.subdomains for ind in sub.indicators)

    @property
    def title(self) -> str:
        return f"{self.code}. {self.name}" if self.code else self.name


class GlossaryTerm(_Frozen):
    term: Text
    definition: Text


class Questionnaire(_Frozen):
    id: Identifier
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title: Text
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    source: Source
    levels: tuple[ScaleLevel, ...] = Field(min_length=2)
    pillars: tuple[Pillar, ...] = Field(min_length=1)
    domains: tuple[Domain, ...] = Field(min_length=1)
    glossary: tuple[GlossaryTerm, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 1.0` in YAML is a float; accept it as the text the author meant.
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @cached_property
    def scale(self) -> tuple[int, ...]:
        return tuple(level.level for level in self.levels)

    @property
    def min_level(self) -> int:
        return self.scale[0]

    @property
    def max_level(self) -> int:
        return self.scale[-1]

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(ind for dom in self.domains for ind in dom.indicators)

    @cached_property
    def _indicator_index(self) -> dict[str, tuple[Domain, Subdomain, Indicator]]:
        return {ind.id: (dom, sub, ind) for dom in self.domains for sub in dom.subdomains for ind in sub.indicators}

    def indicator(self, indicator_id: str) -> Indicator:
        return self._indicator_index[indicator_id][2]

    def has_indicator(self, indicator_id: str) -> bool:
        return indicator_id in self._indicator_index

    def domain_of(self, indicator_id: str) -> Domain:
        return self._indicator_index[indicator_id][0]

    def subdomain_of(self, indicator_id: str) -> Subdomain:
        return self._indicator_index[indicator_id][1]

    def pillar(self, pillar_id: str) -> Pillar:
        return next(p for p in self.pillars if p.id == pillar_id)

    def level_label(self, level: int) -> str:
        return next((lv.label for lv in self.levels if lv.level == level), str(level))

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the content: pins what a round was rated against."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
