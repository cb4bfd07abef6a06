"""Ratings, consensus and targets: versioned per-indicator records, saved whole or one field at a time."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from b1mg_maturity import audit
from b1mg_maturity.edits import CONSENSUS, RATING, TARGET, FieldEdit, RecordFields, normalise_links
from b1mg_maturity.errors import Conflict, PermissionDenied
from b1mg_maturity.permissions import Actor, can_read_all_ratings, require_coordinate, require_rate, require_read
from b1mg_maturity.services.base import UseCases
from b1mg_maturity.services.checks import (
    MAX_EVIDENCE_CHARS,
    MAX_RATIONALE_CHARS,
    check_text,
    clean_links,
    require_valid_answer,
)
from b1mg_maturity.services.questionnaires import questionnaire_of
from b1mg_maturity.services.views import ConsensusView, RatingView, TargetView, rating_view
from b1mg_maturity.storage.models import Consensus, Rating, Target, User, utcnow


@dataclass(frozen=True)
class _VersionedRecord:
    """One kind of per-indicator record with a version counter (rating, consensus, target)."""

    model: Any
    entity: str
    action: str
    fields: RecordFields
    experts_own: bool = False  # a rating belongs to the expert who gives it

    def keys(self, round_id: int, indicator_id: str, actor: Actor) -> dict[str, Any]:
        keys: dict[str, Any] = {"round_id": round_id, "indicator_id": indicator_id}
        if self.experts_own:
            keys["expert_id"] = actor.user_id
        return keys

    def columns_of(self, row: Any) -> dict[str, Any]:
        return {column: getattr(row, column) for column in self.fields.blank}

    def describe(self, columns: Mapping[str, Any]) -> dict[str, Any]:
        """Stored columns as people read them (conflict messages, the audit trail)."""
        described = dict(columns)
        if "links" in described:
            described["links"] = json.loads(described["links"] or "[]")
        return described


@dataclass(frozen=True)
class _Saved:
    version: int
    at: dt.datetime
    username: str
    columns: Mapping[str, Any]  # the record's stored values after the save


_RATINGS = _VersionedRecord(Rating, "rating", "rate", RATING, experts_own=True)


_CONSENSUS = _VersionedRecord(Consensus, "consensus", "set_consensus", CONSENSUS)


_TARGETS = _VersionedRecord(Target, "target", "set_target", TARGET)


class AnswerUseCases(UseCases):
    def rate(
        self,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        level: int | None,
        not_applicable: bool = False,
        evidence: str = "",
        links: Sequence[str] = (),
        expected_version: int,
    ) -> RatingView:
        """Save the acting expert's whole rating of one indicator (``expected_version`` 0 for a first save).

        For scripts and imports; the Rate page saves field by field with :meth:`edit_rating`.
        """
        evidence = check_text(evidence, "Evidence", MAX_EVIDENCE_CHARS)
        clean = clean_links(links)
        shown = {"level": level, "not_applicable": not_applicable, "evidence": evidence, "links": list(clean)}
        saved = self._save_versioned(
            _RATINGS,
            actor_id,
            round_id,
            indicator_id,
            stored={**shown, "links": json.dumps(list(clean))},
            shown=shown,
            expected_version=expected_version,
        )
        return _rating_view_of(indicator_id, saved)

    def edit_rating(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> RatingView:
        """Save one field of the acting expert's rating (level, evidence or links), and nothing else.

        Refused with :class:`Conflict` when the stored value of that field is no
        longer the one the expert saw (``edit.seen``).
        """
        value = self._clean_field(edit.field, edit.value)
        seen = self._clean_field(edit.field, edit.seen, checked=False)
        saved = self._save_field(_RATINGS, actor_id, round_id, indicator_id, edit.field, seen, value)
        return _rating_view_of(indicator_id, saved)

    @staticmethod
    def _clean_field(field: str, value: Any, *, checked: bool = True) -> Any:
        """A field's value as the services store it; ``checked`` applies the limits (not to what was seen)."""
        if field in ("evidence", "rationale"):
            text = str(value or "")
            limit = MAX_EVIDENCE_CHARS if field == "evidence" else MAX_RATIONALE_CHARS
            return check_text(text, field.capitalize(), limit) if checked else text
        if field == "links":
            lines = value.splitlines() if isinstance(value, str) else list(value or ())
            return normalise_links(lines) if checked else tuple(line.strip() for line in lines if line.strip())
        return value

    def my_ratings(self, actor_id: int, round_id: int) -> dict[str, RatingView]:
        with self.reading_as(actor_id) as (session, actor):
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Rating).where(Rating.round_id == round_id, Rating.expert_id == actor.user_id))
            return {r.indicator_id: rating_view(r, actor.username) for r in rows}

    def all_ratings(self, actor_id: int, round_id: int) -> list[RatingView]:
        """Every expert's ratings (coordinator and admin only: the consensus view)."""
        with self.reading_as(actor_id) as (session, actor):
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            if not can_read_all_ratings(actor, facts):
                raise PermissionDenied("You may not see other experts' ratings.")
            rows = session.execute(
                select(Rating, User.username)
                .join(User, User.id == Rating.expert_id)
                .where(Rating.round_id == round_id)
                .order_by(Rating.indicator_id, User.username)
            )
            return [rating_view(r, name) for r, name in rows]

    def set_consensus(
        self,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        level: int | None,
        not_applicable: bool = False,
        rationale: str = "",
        expected_version: int,
    ) -> ConsensusView:
        """Save the whole consensus of one indicator (for scripts; the page uses :meth:`edit_consensus`)."""
        rationale = check_text(rationale, "Rationale", MAX_RATIONALE_CHARS)
        values = {"level": level, "not_applicable": not_applicable, "rationale": rationale}
        saved = self._save_versioned(
            _CONSENSUS,
            actor_id,
            round_id,
            indicator_id,
            stored=values,
            shown=values,
            expected_version=expected_version,
        )
        return _consensus_view_of(indicator_id, saved)

    def edit_consensus(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> ConsensusView:
        """Save one field of an indicator's consensus (level or rationale), and nothing else."""
        value = self._clean_field(edit.field, edit.value)
        seen = self._clean_field(edit.field, edit.seen, checked=False)
        saved = self._save_field(_CONSENSUS, actor_id, round_id, indicator_id, edit.field, seen, value)
        return _consensus_view_of(indicator_id, saved)

    def set_target(
        self, actor_id: int, round_id: int, indicator_id: str, *, target: int | None, expected_version: int
    ) -> TargetView:
        values = {"target": target}
        saved = self._save_versioned(
            _TARGETS,
            actor_id,
            round_id,
            indicator_id,
            stored=values,
            shown=values,
            expected_version=expected_version,
        )
        return TargetView(indicator_id, target, saved.version)

    def edit_target(self, actor_id: int, round_id: int, indicator_id: str, edit: FieldEdit) -> TargetView:
        """Save an indicator's target, refused when it is no longer the one the coordinator saw."""
        saved = self._save_field(_TARGETS, actor_id, round_id, indicator_id, "target", edit.seen, edit.value)
        return TargetView(indicator_id, saved.columns["target"], saved.version)

    def _save_field(
        self,
        record: _VersionedRecord,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        field: str,
        seen: Any,
        value: Any,
    ) -> _Saved:
        stored = record.fields.columns(field, value)
        return self._save_versioned(
            record,
            actor_id,
            round_id,
            indicator_id,
            stored=stored,
            shown=record.describe(stored),
            seen=record.fields.columns(field, seen),
        )

    def _save_versioned(
        self,
        record: _VersionedRecord,
        actor_id: int,
        round_id: int,
        indicator_id: str,
        *,
        stored: dict[str, Any],
        shown: dict[str, Any],
        expected_version: int | None = None,
        seen: Mapping[str, Any] | None = None,
    ) -> _Saved:
        """Insert or update one per-indicator record of a round, refusing a stale save.

        ``stored`` are the columns to write (all of them, or the few of one field),
        ``shown`` the same values as people read them.  Exactly one guard: either
        ``expected_version`` (the whole record as it was read; 0 for "none yet") or
        ``seen`` (the columns' values the person saw): a save never lands on a
        value its author did not see.  Experts write their own ratings;
        coordinators (and admins) the round's consensus and targets.
        """
        assert (expected_version is None) != (seen is None), "give exactly one guard"
        try:
            with self.writing_as(actor_id) as (session, actor):
                # The round row is share-locked: saves run side by side, a submit waits for them (and they for it).
                round_, facts = self.load_round(session, round_id, lock="share", with_questionnaire=True)
                if record.experts_own:
                    require_rate(actor, facts)
                else:
                    require_coordinate(actor, facts, f"set the {record.entity} in this round")
                self.require_editable(round_)
                questionnaire = questionnaire_of(round_.questionnaire_version)
                require_valid_answer(
                    questionnaire,
                    indicator_id,
                    level=stored.get("level"),
                    not_applicable=bool(stored.get("not_applicable")),
                    target=stored.get("target"),
                )
                keys = record.keys(round_id, indicator_id, actor)
                model = record.model
                current = session.scalars(select(model).filter_by(**keys).with_for_update()).first()
                before = dict(record.fields.blank) if current is None else record.columns_of(current)
                stale = (
                    expected_version != (0 if current is None else current.version)
                    if seen is None
                    else any(record.describe(before)[c] != v for c, v in record.describe(seen).items())
                )
                if stale:
                    raise Conflict(
                        f"This {record.entity} was removed since you opened it."
                        if current is None
                        else f"Someone changed this {record.entity} since you opened it.",
                        yours=shown,
                        theirs=None if current is None else record.describe(before),
                        current_version=0 if current is None else current.version,
                    )
                now = utcnow()
                who = {} if record.experts_own else {"updated_by": actor.user_ref}
                if current is None:
                    version = 1
                    session.add(model(**keys, **{**before, **stored}, **who, version=version, updated_at=now))
                    session.flush()
                    old = None
                else:
                    version = current.version + 1
                    session.execute(
                        update(model)
                        .where(model.id == current.id)
                        .values(**stored, **who, version=version, updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    session.expunge(current)  # stale after the UPDATE; what was written is known
                    old = record.describe({column: before[column] for column in stored})
                key_text = "/".join(str(v) for v in (round_id, indicator_id)) + (
                    f"/{actor.username}" if record.experts_own else ""
                )
                audit.record(
                    session,
                    actor,
                    record.action,
                    record.entity,
                    key_text,
                    old=old,
                    new=shown,
                    health_system_id=round_.health_system_id,
                    round_id=round_id,
                )
                return _Saved(version, now, actor.username, {**before, **stored})
        except IntegrityError:
            # Two first saves raced (PostgreSQL): the other one won; show it.
            theirs = self._current(record, round_id, indicator_id, actor_id)
            raise Conflict(
                f"Someone saved this {record.entity} at the same moment.",
                yours=shown,
                theirs=theirs[0] if theirs else None,
                current_version=theirs[1] if theirs else 0,
            ) from None

    def _current(
        self, record: _VersionedRecord, round_id: int, indicator_id: str, actor_id: int
    ) -> tuple[dict[str, Any], int] | None:
        with self.reading_as(actor_id) as (session, actor):
            row = session.scalars(select(record.model).filter_by(**record.keys(round_id, indicator_id, actor))).first()
            return None if row is None else (record.describe(record.columns_of(row)), row.version)

    def consensus_of(self, actor_id: int, round_id: int) -> dict[str, ConsensusView]:
        with self.reading_as(actor_id) as (session, actor):
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Consensus).where(Consensus.round_id == round_id))
            return {
                c.indicator_id: ConsensusView(c.indicator_id, c.level, c.not_applicable, c.rationale, c.version)
                for c in rows
            }

    def targets_of(self, actor_id: int, round_id: int) -> dict[str, TargetView]:
        with self.reading_as(actor_id) as (session, actor):
            _, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Target).where(Target.round_id == round_id))
            return {t.indicator_id: TargetView(t.indicator_id, t.target, t.version) for t in rows}


def _rating_view_of(indicator_id: str, saved: _Saved) -> RatingView:
    c = saved.columns
    links = tuple(json.loads(c["links"] or "[]"))
    return RatingView(
        indicator_id, saved.username, c["level"], c["not_applicable"], c["evidence"], links, saved.version, saved.at
    )


def _consensus_view_of(indicator_id: str, saved: _Saved) -> ConsensusView:
    c = saved.columns
    return ConsensusView(indicator_id, c["level"], c["not_applicable"], c["rationale"], saved.version)
