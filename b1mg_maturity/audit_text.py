"""How an audit entry reads to a person: what was done, to what, and the change in plain words.

Pure.  The audit trail stores each change as an action name, an entity and
its key, and the old and new values as JSON (:mod:`b1mg_maturity.audit`).
People read "level 2 -> 3", "not applicable -> level 1", "evidence changed",
"status: draft -> in review": never JSON and never a column name.  The
service names the health system, the round and the indicator (it knows the
ids); this module turns the rest into words.  An action or a value this
module does not know yet is still written in words (its name with spaces),
so a new kind of entry never shows raw data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from b1mg_maturity.domain import ActionStatus, RoundStatus, SystemRole
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.interchange.spreadsheet_safety import neutralise
from b1mg_maturity.text_rules import shortened

ANSWER_ENTITIES = ("rating", "consensus", "target")  # their key is "<round>/<indicator>[/<expert>]"

ACTIONS = {
    "rate": N_("Rated"),
    "set_consensus": N_("Set the consensus"),
    "set_target": N_("Set a target"),
    "import_ratings": N_("Imported ratings"),
    "import_consensus": N_("Imported the consensus"),
    "import_targets": N_("Imported targets"),
    "open": N_("Opened the round"),
    "copy_answers": N_("Copied answers from an earlier round"),
    "import": N_("Imported the round"),
    "invite": N_("Invited an expert"),
    "uninvite": N_("Uninvited an expert"),
    "finish": N_("Marked their part finished"),
    "reopen_part": N_("Reopened their part"),
    "status_draft": N_("Moved back to draft"),
    "status_in_review": N_("Sent to review"),
    "status_submitted": N_("Submitted"),
    "status_published": N_("Published"),
    "add": N_("Added"),
    "grant": N_("Gave a role"),
    "revoke": N_("Took a role away"),
    "set_role": N_("Changed the global role"),
    "activate": N_("Reactivated the account"),
    "deactivate": N_("Deactivated the account"),
    "end_sessions": N_("Signed the user out everywhere"),
    "set_password": N_("Set a new password"),
    "issue_reset_link": N_("Issued a reset link"),
    "reset_password": N_("Set a new password with a reset link"),
    "sign_in_paused": N_("Sign-in paused after wrong passwords"),
    "register": N_("Registered a questionnaire version"),
    "refresh_text": N_("Took the questionnaire file's newer guidance links"),
    # worded as the fallback words them (an action's name with spaces), now translatable
    "finish_part": N_("Finish part"),
    "remind": N_("Remind"),
    "remove_rating": N_("Remove rating"),
    "set_language": N_("Set language"),
    "add_action": N_("Added an action to the plan"),
    "change_action": N_("Changed an action of the plan"),
    "import_action": N_("Imported an action of the plan"),
    "set_peer_naming": N_("Changed whether other teams see the health system by name"),
}

_GLOBAL_ROLES = {"none": N_("none"), "analyst": N_("analyst"), "admin": N_("administrator")}
_TEXT_LIMIT = 120


@dataclass(frozen=True)
class Names:
    """What the ids in the trail stand for, as people know them (filled in by the service)."""

    health_systems: Mapping[int, str]  # id -> "Germany (DE)"
    rounds: Mapping[int, str]  # id -> "2026"
    indicators: Mapping[str, str]  # id -> "D1.1.1 Governance"


NO_NAMES = Names({}, {}, {})


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as a row of the readable log (every field plain text, "" when it does not apply)."""

    at: dt.datetime
    who: str
    action: str
    health_system: str
    round: str
    indicator: str
    about: str  # the user, expert or questionnaire the entry concerns, when it is not an answer
    change: str


def readable(
    *,
    at: dt.datetime,
    who: str,
    action: str,
    entity: str,
    entity_key: str,
    old: Any,
    new: Any,
    health_system_id: int | None = None,
    round_id: int | None = None,
    names: Names = NO_NAMES,
) -> AuditLine:
    indicator = indicator_of(entity, entity_key)
    return AuditLine(
        at=at,
        who=who,
        action=action_text(action),
        health_system="" if health_system_id is None else names.health_systems.get(health_system_id, ""),
        round="" if round_id is None else names.rounds.get(round_id) or _("round {id}", id=round_id),
        indicator="" if indicator is None else names.indicators.get(indicator, indicator),
        about=about_text(entity, entity_key),
        change=change_text(old, new, names=names),
    )


def indicator_of(entity: str, entity_key: str) -> str | None:
    """The indicator an answer entry is about (from its key ``<round>/<indicator>[/<expert>]``)."""
    if entity not in ANSWER_ENTITIES:
        return None
    parts = entity_key.split("/")
    return parts[1] if len(parts) >= 2 and parts[1] else None


def action_text(action: str) -> str:
    known = ACTIONS.get(action)
    if known is not None:
        return _(known)
    if action.startswith("status_"):
        return _("Moved to {status}", status=RoundStatus.label_of(action.removeprefix("status_")).lower())
    return _words(action).capitalize()


def about_text(entity: str, entity_key: str) -> str:
    """Who or what the entry concerns beyond its health system, round and indicator."""
    parts = entity_key.split("/")
    if entity == "rating":
        return _("{expert}'s rating", expert=parts[2]) if len(parts) >= 3 else ""
    if entity in ("consensus", "target", "round", "health_system"):
        return ""
    if entity == "round_expert":
        return _("expert {username}", username=parts[-1])
    if entity == "membership":
        user, _at, system = entity_key.rpartition("@")
        return _("{username} in {system}", username=user, system=system) if user else entity_key
    if entity == "user":
        return _("user {username}", username=entity_key)
    if entity == "action":
        return _("action {id}", id=entity_key)
    if entity == "questionnaire":
        return _("questionnaire {questionnaire}", questionnaire=entity_key)
    return entity_key


def change_text(old: Any, new: Any, *, names: Names = NO_NAMES) -> str:
    """The change in words: "level 2 -> 3; evidence changed"; "" when the entry holds no values."""
    before = old if isinstance(old, Mapping) else ({} if old is None else {"value": old})
    after = new if isinstance(new, Mapping) else ({} if new is None else {"value": new})
    text = "; ".join(part for part in _parts(before, after, names) if part)
    via = after.get("via") or before.get("via")  # how it was written (a bulk load): said last, in brackets
    # "via" is stored as written (a bulk load's note), so it is shown as it is
    return _("{change} ({via})", change=text, via=_plain(via)).strip() if via else text


def _parts(old: Mapping[str, Any], new: Mapping[str, Any], names: Names) -> Iterator[str]:
    keys = set(old) | set(new)
    if keys & {"level", "not_applicable"}:
        yield _level_change(old, new)
    if "target" in keys:
        yield _target_change(old.get("target"), new.get("target"))
    for field in ("evidence", "rationale"):
        if field in keys:
            yield _text_change(field, old.get(field), new.get(field))
    if "links" in keys:
        yield _links_change(old.get("links"), new.get("links"))
    if "status" in keys:
        yield _arrow(_STATUS_ARROW, _status(old.get("status")), _status(new.get("status")))
    if "global_role" in keys:
        yield _arrow(_GLOBAL_ROLE_ARROW, _role(old.get("global_role")), _role(new.get("global_role")))
    if "role" in keys:
        role = new.get("role") or old.get("role")
        yield _("role: {role}", role=_system_role(role))
    done = {
        "level",
        "not_applicable",
        "target",
        "evidence",
        "rationale",
        "links",
        "status",
        "global_role",
        "role",
        "active",  # the action says it (deactivated, reactivated)
        "expert",  # named in "about" (the rating's or invitation's key)
        "via",  # said last, by change_text
        "content_hash",  # a questionnaire's fingerprint: means nothing to a reader
    }
    for key in sorted(keys - done):
        yield _other(key, old.get(key), new.get(key), names)


def _level(values: Mapping[str, Any]) -> Any:
    """The level chosen, or None for "not applicable" or no rating."""
    return None if values.get("not_applicable") else values.get("level")


def _choice(values: Mapping[str, Any]) -> str:
    if values.get("not_applicable"):
        return _("not applicable")
    level = values.get("level")
    return _("not rated") if level is None else _("level {level}", level=level)


def _level_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    after = _choice(new)
    if not (set(old) & {"level", "not_applicable"}):
        return after
    before = _choice(old)
    if before == after:
        return after
    if _level(old) is not None and _level(new) is not None:
        return _("level {before} -> {after}", before=_level(old), after=_level(new))
    return _("{before} -> {after}", before=before, after=after)


def _target_change(old: Any, new: Any) -> str:
    if new is None:
        return _("target removed") if old is not None else _("no target")
    if old is None or old == new:
        return _("target {target}", target=new)
    return _("target {before} -> {after}", before=old, after=new)


# What happened to a text field, per field (each language words it its own way).
_TEXT_CHANGES = {
    "evidence": (N_("evidence added"), N_("evidence removed"), N_("evidence changed")),
    "rationale": (N_("rationale added"), N_("rationale removed"), N_("rationale changed")),
}


def _text_change(field: str, old: Any, new: Any) -> str:
    added, removed, changed = _TEXT_CHANGES[field]
    had, has = bool(str(old or "").strip()), bool(str(new or "").strip())
    if has and not had:
        return _(added)
    if had and not has:
        return _(removed)
    if not has:
        return ""
    return _(changed) if old != new else ""


def _links_change(old: Any, new: Any) -> str:
    count = len(new) if isinstance(new, list | tuple) else 0
    if old is not None and list(old or ()) == list(new or ()):
        return ""
    if count == 0:
        return _("links removed") if old else ""
    return _n("links changed ({n} link now)", "links changed ({n} links now)", count)


def _status(value: Any) -> str:
    return "" if value is None else RoundStatus.label_of(str(value)).lower()


def _role(value: Any) -> str:
    if value is None:
        return ""
    known = _GLOBAL_ROLES.get(str(value))
    return _(known) if known else _words(str(value))


def _system_role(value: Any) -> str:
    try:
        return SystemRole(str(value)).label.lower()
    except ValueError:
        return _plain(value)


@dataclass(frozen=True)
class _Arrow:
    """How a changed value reads, and how it reads when it only has one value."""

    change: str  # with {before} and {after}
    value: str  # with {value}


_STATUS_ARROW = _Arrow(N_("status: {before} -> {after}"), N_("status: {value}"))
_GLOBAL_ROLE_ARROW = _Arrow(N_("global role: {before} -> {after}"), N_("global role: {value}"))


def _arrow(what: _Arrow, before: str, after: str) -> str:
    if before and after and before != after:
        return _(what.change, before=before, after=after)
    return _(what.value, value=after or before)


def _other(key: str, old: Any, new: Any, names: Names) -> str:
    """The values the answers and statuses do not cover, each in words (known keys said better)."""
    value = new if new is not None else old
    if key in ("sessions", "sessions_ended"):
        return _("no open session") if not value else _n("{n} session ended", "{n} sessions ended", int(value))
    if key == "seconds":
        return _("paused for {seconds} s", seconds=value)
    if key == "expires_at":
        return _("works until {moment}", moment=_when(value))
    if key == "mailed":
        return _("sent by e-mail") if value else _("shown to copy")
    if key == "revoked":
        return _n("{n} earlier link revoked", "{n} earlier links revoked", int(value)) if value else ""
    if key == "from_round_id":
        return _from_round(value, names) if isinstance(value, int) else ""
    if key == "reason":
        return _("reason: “{reason}”", reason=_short(str(value)))
    if key == "action_status":
        before = ActionStatus.label_of(old).lower() if old else ""
        after = ActionStatus.label_of(new).lower() if new else ""
        if before and after and before != after:
            return _("status: {before} -> {after}", before=before, after=after)
        return _("status: {value}", value=after or before)
    if key in _COUNTS and isinstance(value, int) and not isinstance(value, bool):
        singular, plural = _COUNTS[key]
        return _n(singular, plural, value)
    if key in _COUNTS:
        return f"{value} {_words(key)}"
    if key.endswith("_id") or key == "id":
        return ""  # an internal number: the names the service adds say what it stands for
    field = _(_KEY_WORDS[key]) if key in _KEY_WORDS else _words(key)
    if old not in (None, "", []) and new in ("", []):
        return _("{field} removed", field=field)
    if old in ("", []) and new not in (None, "", []):
        return _("{field}: {value}", field=field, value=_plain(new))
    if old is not None and new is not None and old != new:
        return _("{field}: {before} -> {after}", field=field, before=_plain(old), after=_plain(new))
    return _("{field}: {value}", field=field, value=_plain(value))


# The other keys an entry stores, in words (as the fallback words them: the key with spaces).
_KEY_WORDS = {
    "display_name": N_("display name"),
    "username": N_("username"),
    "name": N_("name"),
    "code": N_("code"),
    "kind": N_("kind"),
    "date": N_("date"),
    "label": N_("label"),
    "period": N_("period"),
    "free_label": N_("free label"),
    "finished": N_("finished"),
    "unanswered": N_("unanswered"),
    "ratings_removed": N_("ratings removed"),
    "mode": N_("mode"),
    "exported_at": N_("exported at"),
    "language": N_("language"),
    "value": N_("value"),
    "title": N_("title"),
    "aims": N_("indicators and levels aimed at"),
    "description": N_("description"),
    "owner": N_("owner"),
    "start": N_("start"),
    "due": N_("due"),
    "drop_reason": N_("reason for dropping"),
    "notes": N_("notes"),
    "named_as_peer": N_("named to other teams"),
}


# The counts an entry stores, in words (singular, plural).
_COUNTS = {
    "indicators": (N_("{n} indicator"), N_("{n} indicators")),
    "ratings": (N_("{n} rating"), N_("{n} ratings")),
    "consensus": (N_("{n} consensus"), N_("{n} consensus")),
    "targets": (N_("{n} target"), N_("{n} targets")),
    "experts": (N_("{n} expert"), N_("{n} experts")),
    "added": (N_("{n} added"), N_("{n} added")),
    "overwritten": (N_("{n} overwritten"), N_("{n} overwritten")),
}


def _from_round(round_id: int, names: Names) -> str:
    return _("from {round}", round=names.rounds.get(round_id) or _("round {id}", id=round_id))


def _plain(value: Any) -> str:
    """Any stored value in words (never JSON)."""
    if value is None:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else _("none")
    if isinstance(value, Mapping):
        return ", ".join(f"{_words(str(k))} {_plain(v)}" for k, v in sorted(value.items()))
    return _short(str(value))


def _when(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return _short(str(value))
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.utcoffset() == dt.timedelta(0) else "")


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


def _short(text: str) -> str:
    return shortened(" ".join(text.split()), _TEXT_LIMIT)


# The readable log's columns (a file for people, not an interchange format: its headers are translated).
CSV_COLUMNS = (
    N_("When (UTC)"),
    N_("Who"),
    N_("Action"),
    N_("Health system"),
    N_("Round"),
    N_("Indicator"),
    N_("About"),
    N_("Change"),
)


def csv_text(lines: Iterable[AuditLine]) -> str:
    """The readable log as CSV; every cell is kept from running as a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_(column) for column in CSV_COLUMNS])
    for line in lines:
        writer.writerow(
            [
                line.at.strftime("%Y-%m-%d %H:%M:%S"),
                *(
                    neutralise(cell)
                    for cell in (
                        line.who,
                        line.action,
                        line.health_system,
                        line.round,
                        line.indicator,
                        line.about,
                        line.change,
                    )
                ),
            ]
        )
    return out.getvalue()
