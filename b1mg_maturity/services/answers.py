"""Ratings, consensus and targets: versioned per-indicator records, saved whole or one field at a time."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Insert, Select, Table, Update, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from b1mg_maturity import audit
from b1mg_maturity.edits import CONSENSUS, RATING, TARGET, FieldEdit, RecordFields, normalise_links
from b1mg_maturity.errors import Conflict, PermissionDenied
from b1mg_maturity.i18n import N_, _
from b1mg_maturity.permissions import Actor, can_read_all_ratings, require_coordinate, require_rate, require_read
from b1mg_maturity.services.base import AnyRow, RoundAccess, UseCases, round_access_query
from b1mg_maturity.services.checks import (
    MAX_EVIDENCE_CHARS,
    MAX_RATIONALE_CHARS,
    check_text,
    clean_links,
    require_valid_answer,
)
from b1mg_maturity.services.questionnaires import questionnaire_by_hash
from b1mg_maturity.services.views import ConsensusView, RatingView, TargetView, rating_view
from b1mg_maturity.storage.models import Consensus, QuestionnaireVersion, Rating, Target, User, utcnow


@dataclass(frozen=True)
class _Current:
    """A stored record as a save read it."""

    id: int
    version: int
    columns: dict[str, Any]  # the record's columns of :attr:`RecordFields.blank`


@dataclass(frozen=True)
class _RecordWords:
    """What people read about one kind of record (whole sentences: each language words them its own way)."""

    removed: str
    changed: str
    same_moment: str
    may_not_set: str = ""  # as it follows "You may not" (records a coordinator sets)


@dataclass(frozen=True)
class _VersionedRecord:
    """One kind of per-indicator record with a version counter (rating, consensus, target), and its statements.

    The statements are built once per process (SQLAlchemy then reuses their
    compiled form); their bind parameters are ``round_id``, ``indicator_id`` and,
    for a record each expert owns, ``actor_id``.
    """

    model: Any
    entity: str
    action: str
    fields: RecordFields
    words: _RecordWords
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

    @cached_property
    def table(self) -> Table:
        return cast(Table, self.model.__table__)

    @cached_property
    def _is_this_record(self) -> ColumnElement[bool]:
        t = self.table
        clauses = [t.c.round_id == bindparam("round_id"), t.c.indicator_id == bindparam("indicator_id")]
        if self.experts_own:
            clauses.append(t.c.expert_id == bindparam("actor_id"))
        return and_(*clauses)

    @cached_property
    def _read_columns(self) -> tuple[ColumnElement[Any], ...]:
        t = self.table
        columns = [t.c[column].label(f"record_{column}") for column in self.fields.blank]
        return (t.c.id.label("record_id"), t.c.version.label("record_version"), *columns)

    @cached_property
    def access_query(self) -> Select[Any]:
        """The actor and the round (share-locked) with this record as stored, unlocked (None columns: none yet)."""
        return round_access_query(*self._read_columns).outerjoin(self.table, self._is_this_record)

    @cached_property
    def locked_query(self) -> Select[Any]:
        """This record alone, locked until the transaction ends (``FOR UPDATE`` on PostgreSQL)."""
        return select(*self._read_columns).where(self._is_this_record).with_for_update()

    @cached_property
    def insert_query(self) -> Insert:
        return insert(self.table).inline()  # the columns come from the values given; the new id is not fetched

    @cached_property
    def update_query(self) -> Update:
        """The columns given, only on the version that was read (``read_version``): a save meanwhile wins."""
        t = self.table
        return update(t).where(t.c.id == bindparam("record_id"), t.c.version == bindparam("read_version"))

    def current_in(self, row: AnyRow) -> _Current | None:
        """The record in a row of :attr:`access_query` or :attr:`locked_query`; None when there is none yet."""
        values = row._mapping
        if values["record_id"] is None:
            return None
        columns = {column: values[f"record_{column}"] for column in self.fields.blank}
        return _Current(values["record_id"], values["record_version"], columns)

    def columns_or_blank(self, current: _Current | None) -> dict[str, Any]:
        return dict(self.fields.blank) if current is None else dict(current.columns)


@dataclass(frozen=True)
class _Saved:
    version: int
    at: dt.datetime
    username: str
    columns: Mapping[str, Any]  # the record's stored values after the save


_RATINGS = _VersionedRecord(
    Rating,
    "rating",
    "rate",
    RATING,
    _RecordWords(
        removed=N_("This rating was removed since you opened it."),
        changed=N_("Someone changed this rating since you opened it."),
        same_moment=N_("Someone saved this rating at the same moment."),
    ),
    experts_own=True,
)


_CONSENSUS = _VersionedRecord(
    Consensus,
    "consensus",
    "set_consensus",
    CONSENSUS,
    _RecordWords(
        removed=N_("This consensus was removed since you opened it."),
        changed=N_("Someone changed this consensus since you opened it."),
        same_moment=N_("Someone saved this consensus at the same moment."),
        may_not_set=N_("set the consensus in this round"),
    ),
)


_TARGETS = _VersionedRecord(
    Target,
    "target",
    "set_target",
    TARGET,
    _RecordWords(
        removed=N_("This target was removed since you opened it."),
        changed=N_("Someone changed this target since you opened it."),
        same_moment=N_("Someone saved this target at the same moment."),
        may_not_set=N_("set the target in this round"),
    ),
)

_QUESTIONNAIRE_VERSIONS = cast(Table, QuestionnaireVersion.__table__)
_QUESTIONNAIRE_TEXT = select(_QUESTIONNAIRE_VERSIONS.c.yaml_text).where(
    _QUESTIONNAIRE_VERSIONS.c.id == bindparam("version_id")
)


@dataclass(frozen=True)
class _SaveRequest:
    """One save of one per-indicator record, as asked (see :meth:`AnswerUseCases._save_versioned`)."""

    record: _VersionedRecord
    round_id: int
    indicator_id: str
    stored: dict[str, Any]
    shown: dict[str, Any]
    expected_version: int | None
    seen: Mapping[str, Any] | None

    def is_stale(self, current: _Current | None) -> bool:
        """Whether the author did not see the record as it is stored (the version, or the saved field's value)."""
        if self.seen is None:
            return self.expected_version != (0 if current is None else current.version)
        before = self.record.describe(self.record.columns_or_blank(current))
        return any(before[column] != value for column, value in self.record.describe(self.seen).items())

    def conflict(self, current: _Current | None) -> Conflict:
        words = self.record.words
        return Conflict(
            _(words.removed) if current is None else _(words.changed),
            yours=self.shown,
            theirs=None if current is None else self.record.describe(current.columns),
            current_version=0 if current is None else current.version,
        )


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
            _round, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Rating).where(Rating.round_id == round_id, Rating.expert_id == actor.user_id))
            return {r.indicator_id: rating_view(r, actor.username) for r in rows}

    def all_ratings(self, actor_id: int, round_id: int) -> list[RatingView]:
        """Every expert's ratings (coordinator and admin only: the consensus view)."""
        with self.reading_as(actor_id) as (session, actor):
            _round, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            if not can_read_all_ratings(actor, facts):
                raise PermissionDenied(_("You may not see other experts' ratings."))
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
        save = _SaveRequest(record, round_id, indicator_id, stored, shown, expected_version, seen)
        try:
            with self.db.writing() as connection:
                # One statement: the actor, the round share-locked (saves run side by side, a submit waits for them
                # and they for it), and the record as stored.
                access = self.load_access(
                    connection, actor_id, round_id, record.access_query, indicator_id=indicator_id
                )
                self._require_may_write(connection, save, access)
                return self._write(connection, save, access)
        except IntegrityError:
            # Two first saves raced (PostgreSQL): the other one won; show it.
            theirs = self._current(record, round_id, indicator_id, actor_id)
            raise Conflict(
                _(record.words.same_moment),
                yours=shown,
                theirs=theirs[0] if theirs else None,
                current_version=theirs[1] if theirs else 0,
            ) from None

    def _require_may_write(self, connection: Connection, save: _SaveRequest, access: RoundAccess) -> None:
        """The permission rule, the round still editable (read under its share lock), an answer the questionnaire has."""
        if save.record.experts_own:
            require_rate(access.actor, access.facts)
        else:
            require_coordinate(access.actor, access.facts, save.record.words.may_not_set)
        self.require_editable(access.facts)
        questionnaire = questionnaire_by_hash(
            access.questionnaire_hash,
            lambda: connection.execute(
                _QUESTIONNAIRE_TEXT, {"version_id": access.questionnaire_version_id}
            ).scalar_one(),
        )
        require_valid_answer(
            questionnaire,
            save.indicator_id,
            level=save.stored.get("level"),
            not_applicable=bool(save.stored.get("not_applicable")),
            target=save.stored.get("target"),
        )

    def _write(self, connection: Connection, save: _SaveRequest, access: RoundAccess) -> _Saved:
        """Write the record (refused when stale) and its audit entry.

        The record was read without a lock, and the write lands only on the
        version that was read.  When another save of it landed in between (on
        PostgreSQL; SQLite writers take turns), it is read again, locked this
        time, and checked again: a save of another field still goes through.
        """
        record, actor = save.record, access.actor
        current = record.current_in(access.row)
        now = utcnow()
        version = self._write_once(connection, save, actor, current, now)
        if version is None:
            params = {"round_id": save.round_id, "indicator_id": save.indicator_id, "actor_id": actor.user_id}
            locked = connection.execute(record.locked_query, params).first()
            current = None if locked is None else record.current_in(locked)
            version = self._write_once(connection, save, actor, current, now)
            assert version is not None, "a locked record changed"
        before = record.columns_or_blank(current)
        key_text = f"{save.round_id}/{save.indicator_id}" + (f"/{actor.username}" if record.experts_own else "")
        entry = audit.entry(
            actor,
            record.action,
            record.entity,
            key_text,
            old=None if current is None else record.describe({column: before[column] for column in save.stored}),
            new=save.shown,
            health_system_id=access.facts.health_system_id,
            round_id=save.round_id,
        )
        audit.write(connection, entry)
        return _Saved(version, now, actor.username, {**before, **save.stored})

    @staticmethod
    def _write_once(
        connection: Connection, save: _SaveRequest, actor: Actor, current: _Current | None, now: dt.datetime
    ) -> int | None:
        """The record's new version once written; None when it changed since ``current`` was read."""
        if save.is_stale(current):
            raise save.conflict(current)
        record = save.record
        who = {} if record.experts_own else {"updated_by": actor.user_ref}
        if current is None:
            keys = record.keys(save.round_id, save.indicator_id, actor)
            values = {**keys, **record.fields.blank, **save.stored, **who, "version": 1, "updated_at": now}
            connection.execute(record.insert_query, values)
            return 1
        version = current.version + 1
        written = connection.execute(
            record.update_query,
            {**save.stored, **who, "version": version, "updated_at": now}
            | {"record_id": current.id, "read_version": current.version},
        )
        return version if written.rowcount == 1 else None

    def _current(
        self, record: _VersionedRecord, round_id: int, indicator_id: str, actor_id: int
    ) -> tuple[dict[str, Any], int] | None:
        with self.reading_as(actor_id) as (session, actor):
            row = session.scalars(select(record.model).filter_by(**record.keys(round_id, indicator_id, actor))).first()
            return None if row is None else (record.describe(record.columns_of(row)), row.version)

    def consensus_of(self, actor_id: int, round_id: int) -> dict[str, ConsensusView]:
        with self.reading_as(actor_id) as (session, actor):
            _round, facts = self.load_round(session, round_id)
            require_read(actor, facts)
            rows = session.scalars(select(Consensus).where(Consensus.round_id == round_id))
            return {
                c.indicator_id: ConsensusView(c.indicator_id, c.level, c.not_applicable, c.rationale, c.version)
                for c in rows
            }

    def targets_of(self, actor_id: int, round_id: int) -> dict[str, TargetView]:
        with self.reading_as(actor_id) as (session, actor):
            _round, facts = self.load_round(session, round_id)
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
