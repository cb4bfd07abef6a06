"""A whole assessment round as one self-contained document (JSON backup and transfer format).

The document carries the questionnaire it was rated against (id, version,
content hash and the YAML text itself), so that it can be read on another
installation exactly as it was rated.  Format name ``b1mg-maturity.round``,
format version 1.  It is also the input of the FHIR export.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ROUND_FORMAT = "b1mg-maturity.round"
ROUND_FORMAT_VERSION = 1

RoundStatus = Literal["draft", "in_review", "submitted", "published"]
Level = Annotated[int, Field(ge=0, le=100)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthSystemRef(_Doc):
    code: Annotated[str, Field(min_length=2, max_length=16)]  # ISO 3166-1 alpha-2 or ISO 3166-2
    name: str
    kind: Literal["country", "region"]


class QuestionnaireRef(_Doc):
    id: str
    version: str
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    yaml: str | None = None  # the questionnaire text, so another installation can register it


class PersonRef(_Doc):
    username: str
    display_name: str = ""


class ExpertRating(_Doc):
    indicator_id: str
    expert: str  # username
    level: Level | None = None
    not_applicable: bool = False
    evidence: str = ""
    links: tuple[str, ...] = ()
    updated_at: dt.datetime | None = None


class ConsensusEntry(_Doc):
    indicator_id: str
    level: Level | None = None
    not_applicable: bool = False
    rationale: str = ""
    updated_at: dt.datetime | None = None


class TargetEntry(_Doc):
    indicator_id: str
    target: Level


class RoundInfo(_Doc):
    label: Annotated[str, Field(min_length=1, max_length=120)]
    round_date: dt.date
    status: RoundStatus
    created_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    published_at: dt.datetime | None = None


class RoundDocument(_Doc):
    format: Literal["b1mg-maturity.round"] = "b1mg-maturity.round"
    format_version: Literal[1] = 1
    exported_at: dt.datetime
    health_system: HealthSystemRef
    round: RoundInfo
    questionnaire: QuestionnaireRef
    experts: tuple[PersonRef, ...] = ()
    ratings: tuple[ExpertRating, ...] = ()
    consensus: tuple[ConsensusEntry, ...] = ()
    targets: tuple[TargetEntry, ...] = ()
