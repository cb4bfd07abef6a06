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

from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.interchange.spreadsheet_safety import neutralise

ANSWER_ENTITIES = ("rating", "consensus", "target")  # their key is "<round>/<indicator>[/<expert>]"

ACTIONS = {
    "rate": "Rated",
    "set_consensus": "Set the consensus",
    "set_target": "Set a target",
    "import_ratings": "Imported ratings",
    "import_consensus": "Imported the consensus",
    "import_targets": "Imported targets",
    "open": "Opened the round",
    "copy_answers": "Copied answers from an earlier round",
    "import": "Imported the round",
    "invite": "Invited an expert",
    "uninvite": "Uninvited an expert",
    "finish": "Marked their part finished",
    "reopen_part": "Reopened their part",
    "status_draft": "Moved back to draft",
    "status_in_review": "Sent to review",
    "status_submitted": "Submitted",
    "status_published": "Published",
    "add": "Added",
    "grant": "Gave a role",
    "revoke": "Took a role away",
    "set_role": "Changed the global role",
    "activate": "Reactivated the account",
    "deactivate": "Deactivated the account",
    "end_sessions": "Signed the user out everywhere",
    "set_password": "Set a new password",
    "issue_reset_link": "Issued a reset link",
    "reset_password": "Set a new password with a reset link",
    "sign_in_paused": "Sign-in paused after wrong passwords",
    "register": "Registered a questionnaire version",
}

_GLOBAL_ROLES = {"none": "none", "analyst": "analyst", "admin": "administrator"}
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
        round="" if round_id is None else names.rounds.get(round_id, f"round {round_id}"),
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
        return known
    if action.startswith("status_"):
        return f"Moved to {RoundStatus.label_of(action.removeprefix('status_')).lower()}"
    return _words(action).capitalize()


def about_text(entity: str, entity_key: str) -> str:
    """Who or what the entry concerns beyond its health system, round and indicator."""
    parts = entity_key.split("/")
    if entity == "rating":
        return f"{parts[2]}'s rating" if len(parts) >= 3 else ""
    if entity in ("consensus", "target", "round", "health_system"):
        return ""
    if entity == "round_expert":
        return f"expert {parts[-1]}"
    if entity == "membership":
        user, _, system = entity_key.rpartition("@")
        return f"{user} in {system}" if user else entity_key
    if entity == "user":
        return f"user {entity_key}"
    if entity == "questionnaire":
        return f"questionnaire {entity_key}"
    return entity_key


def change_text(old: Any, new: Any, *, names: Names = NO_NAMES) -> str:
    """The change in words: "level 2 -> 3; evidence changed"; "" when the entry holds no values."""
    before = old if isinstance(old, Mapping) else ({} if old is None else {"value": old})
    after = new if isinstance(new, Mapping) else ({} if new is None else {"value": new})
    text = "; ".join(part for part in _parts(before, after, names) if part)
    via = after.get("via") or before.get("via")  # how it was written (a bulk load): said last, in brackets
    return f"{text} ({_plain(via)})".strip() if via else text


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
        yield _arrow("status", _status(old.get("status")), _status(new.get("status")))
    if "global_role" in keys:
        yield _arrow("global role", _role(old.get("global_role")), _role(new.get("global_role")))
    if "role" in keys:
        role = new.get("role") or old.get("role")
        yield f"role: {_plain(role)}"
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


def _choice(values: Mapping[str, Any]) -> str:
    if values.get("not_applicable"):
        return "not applicable"
    level = values.get("level")
    return "not rated" if level is None else f"level {level}"


def _level_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    after = _choice(new)
    if not (set(old) & {"level", "not_applicable"}):
        return after
    before = _choice(old)
    if before == after:
        return after
    if before.startswith("level ") and after.startswith("level "):
        return f"{before} -> {after.removeprefix('level ')}"
    return f"{before} -> {after}"


def _target_change(old: Any, new: Any) -> str:
    if new is None:
        return "target removed" if old is not None else "no target"
    if old is None or old == new:
        return f"target {new}"
    return f"target {old} -> {new}"


def _text_change(field: str, old: Any, new: Any) -> str:
    had, has = bool(str(old or "").strip()), bool(str(new or "").strip())
    if has and not had:
        return f"{field} added"
    if had and not has:
        return f"{field} removed"
    if not has:
        return ""
    return f"{field} changed" if old != new else ""


def _links_change(old: Any, new: Any) -> str:
    count = len(new) if isinstance(new, list | tuple) else 0
    if old is not None and list(old or ()) == list(new or ()):
        return ""
    if count == 0:
        return "links removed" if old else ""
    return f"links changed ({_count(count, 'link')} now)"


def _status(value: Any) -> str:
    return "" if value is None else RoundStatus.label_of(str(value)).lower()


def _role(value: Any) -> str:
    return "" if value is None else _GLOBAL_ROLES.get(str(value), _words(str(value)))


def _arrow(what: str, before: str, after: str) -> str:
    if before and after and before != after:
        return f"{what}: {before} -> {after}"
    return f"{what}: {after or before}"


def _other(key: str, old: Any, new: Any, names: Names) -> str:
    """The values the answers and statuses do not cover, each in words (known keys said better)."""
    value = new if new is not None else old
    if key in ("sessions", "sessions_ended"):
        return "no open session" if not value else f"{_count(int(value), 'session')} ended"
    if key == "seconds":
        return f"paused for {value} s"
    if key == "expires_at":
        return f"works until {_when(value)}"
    if key == "mailed":
        return "sent by e-mail" if value else "shown to copy"
    if key == "revoked":
        return f"{_count(int(value), 'earlier link')} revoked" if value else ""
    if key == "from_round_id":
        return f"from {names.rounds.get(value, f'round {value}')}" if isinstance(value, int) else ""
    if key == "reason":
        return f"reason: “{_short(str(value))}”"
    if key in ("indicators", "ratings", "consensus", "targets", "experts", "added", "overwritten"):
        return f"{value} {_words(key)}"
    if key.endswith("_id") or key == "id":
        return ""  # an internal number: the names the service adds say what it stands for
    if old is not None and new is not None and old != new:
        return f"{_words(key)}: {_plain(old)} -> {_plain(new)}"
    return f"{_words(key)}: {_plain(value)}"


def _plain(value: Any) -> str:
    """Any stored value in words (never JSON)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{_words(str(k))} {_plain(v)}" for k, v in sorted(value.items()))
    return _short(str(value))


def _when(value: Any) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return _short(str(value))
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.utcoffset() == dt.timedelta(0) else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _TEXT_LIMIT else flat[: _TEXT_LIMIT - 1].rstrip() + "…"


CSV_COLUMNS = ("When (UTC)", "Who", "Action", "Health system", "Round", "Indicator", "About", "Change")


def csv_text(lines: Iterable[AuditLine]) -> str:
    """The readable log as CSV; every cell is kept from running as a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
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
