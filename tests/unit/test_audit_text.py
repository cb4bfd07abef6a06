"""How audit entries read to a person: hand-written entries, hand-written expected words.

The entries are shaped as :mod:`b1mg_maturity.audit` stores them for each use
case (ratings, consensus, targets, round statuses, accounts); none of the
expected strings is computed by the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from b1mg_maturity.audit_text import AuditLine, Names, about_text, csv_text, indicator_of, readable

AT = dt.datetime(2026, 12, 2, 9, 30, 5, tzinfo=dt.UTC)
NAMES = Names(
    health_systems={1: "Germany (DE)"},
    rounds={7: "2026", 3: "2025"},
    indicators={"D1.1.1": "D1.1.1 Governance"},
)


def line(action: str, entity: str, key: str, old: Any, new: Any, **ids: int) -> AuditLine:
    return readable(
        at=AT, who="anna", action=action, entity=entity, entity_key=key, old=old, new=new, names=NAMES, **ids
    )


LEVEL = {"level": 2, "not_applicable": False}


@pytest.mark.parametrize(
    ("action", "entity", "key", "old", "new", "expected"),
    [
        # an expert's first rating (the whole record), then one field at a time
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            None,
            {"level": 2, "not_applicable": False, "evidence": "Act 12/2024", "links": ["https://a.example"]},
            ("Rated", "level 2; evidence added; links changed (1 link now)"),
        ),
        ("rate", "rating", "7/D1.1.1/anna", LEVEL, {"level": 3, "not_applicable": False}, ("Rated", "level 2 -> 3")),
        (
            "rate",
            "rating",
            "7/D1.1.1/bob",
            None,
            {
                "level": 4,
                "not_applicable": False,
                "evidence": "",
                "links": [],
                "expert": "bob",
                "via": "bulk demo load",
            },
            ("Rated", "level 4 (bulk demo load)"),
        ),
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            {"level": None, "not_applicable": True},
            {"level": 1, "not_applicable": False},
            ("Rated", "not applicable -> level 1"),
        ),
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            LEVEL,
            {"level": None, "not_applicable": True},
            ("Rated", "level 2 -> not applicable"),
        ),
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            LEVEL,
            {"level": None, "not_applicable": False},
            ("Rated", "level 2 -> not rated"),
        ),
        ("rate", "rating", "7/D1.1.1/anna", {"evidence": "old"}, {"evidence": "new"}, ("Rated", "evidence changed")),
        ("rate", "rating", "7/D1.1.1/anna", {"evidence": "old"}, {"evidence": " "}, ("Rated", "evidence removed")),
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            {"links": ["https://a.example"]},
            {"links": []},
            ("Rated", "links removed"),
        ),
        # the whole record saved again with only the evidence changed: the unchanged level is not repeated as a change
        (
            "rate",
            "rating",
            "7/D1.1.1/anna",
            {"level": 4, "not_applicable": False, "evidence": "a", "links": []},
            {"level": 4, "not_applicable": False, "evidence": "b", "links": []},
            ("Rated", "level 4; evidence changed"),
        ),
        (
            "set_consensus",
            "consensus",
            "7/D1.1.1",
            {"level": 3, "not_applicable": False, "rationale": ""},
            {"level": 4, "not_applicable": False, "rationale": "All agreed."},
            ("Set the consensus", "level 3 -> 4; rationale added"),
        ),
        ("set_target", "target", "7/D1.1.1", None, {"target": 4}, ("Set a target", "target 4")),
        ("set_target", "target", "7/D1.1.1", {"target": 3}, {"target": 5}, ("Set a target", "target 3 -> 5")),
        ("set_target", "target", "7/D1.1.1", {"target": 3}, {"target": None}, ("Set a target", "target removed")),
        (
            "status_in_review",
            "round",
            "DE/2026",
            {"status": "draft"},
            {"status": "in_review"},
            ("Sent to review", "status: draft -> in review"),
        ),
        (
            "status_in_review",
            "round",
            "DE/2026",
            {"status": "published"},
            {"status": "in_review", "reason": "A figure  was\nwrong"},
            ("Sent to review", "status: published -> in review; reason: “A figure was wrong”"),
        ),
        (
            "open",
            "round",
            "DE/2026",
            None,
            {"label": "2026", "date": "2026-03-01", "questionnaire_version_id": 1},
            ("Opened the round", "date: 2026-03-01; label: 2026"),
        ),
        (
            "copy_answers",
            "round",
            "DE/2026",
            None,
            {"from_round_id": 3, "indicators": 49},
            ("Copied answers from an earlier round", "from 2025; 49 indicators"),
        ),
        (
            "set_role",
            "user",
            "bob",
            {"global_role": "none"},
            {"global_role": "admin"},
            ("Changed the global role", "global role: none -> administrator"),
        ),
        ("grant", "membership", "bob@DE", None, {"role": "expert"}, ("Gave a role", "role: expert")),
        (
            "deactivate",
            "user",
            "bob",
            {"active": True},
            {"active": False, "sessions_ended": 2},
            ("Deactivated the account", "2 sessions ended"),
        ),
        ("activate", "user", "bob", {"active": False}, {"active": True}, ("Reactivated the account", "")),
        (
            "set_password",
            "user",
            "bob",
            None,
            {"sessions_ended": 1},
            ("Set a new password", "1 session ended"),
        ),
        (
            "issue_reset_link",
            "user",
            "bob",
            None,
            {"expires_at": "2026-12-05T09:30+00:00", "mailed": False, "revoked": 0},
            ("Issued a reset link", "works until 2026-12-05 09:30 UTC; shown to copy"),
        ),
        (
            "sign_in_paused",
            "user",
            "bob",
            None,
            {"seconds": 120},
            ("Sign-in paused after wrong passwords", "paused for 120 s"),
        ),
        (
            "register",
            "questionnaire",
            "b1mg-mlm 1.0",
            None,
            {"content_hash": "ab12" * 16},
            ("Registered a questionnaire version", ""),
        ),
        # an action and values this module has never heard of still read as words, never as JSON
        (
            "mark_something_new",
            "round_expert",
            "7/bob",
            {"finished_at": None, "part_open": True},
            {"finished_at": "2026-12-01", "part_open": False, "domains": ["D1", "D2"], "extra": {"a_b": 1}},
            (
                "Mark something new",
                "domains: D1, D2; extra: a b 1; finished at: 2026-12-01; part open: yes -> no",
            ),
        ),
    ],
)
def test_each_kind_of_entry_reads_in_plain_words(
    action: str, entity: str, key: str, old: Any, new: Any, expected: tuple[str, str]
) -> None:
    shown = line(action, entity, key, old, new)
    assert (shown.action, shown.change) == expected
    assert not any(mark in f"{shown.action} {shown.change}" for mark in ("{", "}", '"', "_", "null", "true"))


def test_where_an_entry_belongs_is_named() -> None:
    rating = line("rate", "rating", "7/D1.1.1/anna", None, LEVEL, health_system_id=1, round_id=7)
    assert (rating.health_system, rating.round, rating.indicator, rating.about) == (
        "Germany (DE)",
        "2026",
        "D1.1.1 Governance",
        "anna's rating",
    )
    unknown = line("set_consensus", "consensus", "9/D9.9.9", None, LEVEL, health_system_id=5, round_id=9)
    assert (unknown.health_system, unknown.round, unknown.indicator, unknown.about) == ("", "round 9", "D9.9.9", "")
    assert line("invite", "round_expert", "7/bob", None, {"expert": "bob"}).about == "expert bob"
    assert about_text("membership", "bob@DE") == "bob in DE"
    assert about_text("user", "bob") == "user bob"
    assert indicator_of("rating", "7/D1.1.1/anna") == "D1.1.1"
    assert indicator_of("target", "7/D2.1.1") == "D2.1.1"
    assert indicator_of("round", "DE/D1.1.1") is None  # a round may be named like anything; it is no indicator


def test_the_csv_keeps_every_column_and_no_cell_runs_as_a_formula() -> None:
    rows = [
        AuditLine(AT, '=HYPERLINK("x")', "Rated", "Germany (DE)", "2026", "D1.1.1 Governance", "", "level 2 -> 3"),
        AuditLine(AT, "bob", "Sent to review", "", "+2026", "", "@user", "status: draft -> in review"),
    ]
    parsed = list(csv.reader(io.StringIO(csv_text(rows))))
    assert parsed == [
        ["When (UTC)", "Who", "Action", "Health system", "Round", "Indicator", "About", "Change"],
        [
            "2026-12-02 09:30:05",
            '\'=HYPERLINK("x")',
            "Rated",
            "Germany (DE)",
            "2026",
            "D1.1.1 Governance",
            "",
            "level 2 -> 3",
        ],
        ["2026-12-02 09:30:05", "bob", "Sent to review", "", "'+2026", "", "'@user", "status: draft -> in review"],
    ]


# --- the action plan: entries as services/plans.py writes them -------------------------------------------


@pytest.mark.parametrize(
    ("action", "entity", "key", "old", "new", "expected"),
    [
        (  # an added action keeps only what it was given
            "add_action",
            "action",
            "12",
            None,
            {
                "title": "Pass the law",
                "aims": ["D1.1.1 → 4", "D2.1.1 → 3"],
                "due": "2026-06-30",
                "action_status": "planned",
            },
            (
                "Added an action to the plan",
                "status: planned; indicators and levels aimed at: D1.1.1 → 4, D2.1.1 → 3; due: 2026-06-30; "
                "title: Pass the law",
            ),
        ),
        (
            "change_action",
            "action",
            "12",
            {"action_status": "planned"},
            {"action_status": "done"},
            ("Changed an action of the plan", "status: planned -> done"),
        ),
        (
            "change_action",
            "action",
            "12",
            {"action_status": "proposed", "title": "Ask"},
            {"action_status": "in_progress", "title": "Do"},
            ("Changed an action of the plan", "status: proposed -> in progress; title: Ask -> Do"),
        ),
        (
            "change_action",
            "action",
            "12",
            {"owner": "Anna"},
            {"owner": "Anna (anna)"},
            ("Changed an action of the plan", "owner: Anna -> Anna (anna)"),
        ),
        (
            "change_action",
            "action",
            "12",
            {"due": "2026-06-30", "aims": ["D1.1.1 → 4"]},
            {"due": "2026-09-30", "aims": ["D1.1.1 → 5"]},
            (
                "Changed an action of the plan",
                "indicators and levels aimed at: D1.1.1 → 4 -> D1.1.1 → 5; due: 2026-06-30 -> 2026-09-30",
            ),
        ),
        (
            "set_peer_naming",
            "health_system",
            "DE",
            {"named_as_peer": False},
            {"named_as_peer": True},
            ("Changed whether other teams see the health system by name", "named to other teams: no -> yes"),
        ),
    ],
)
def test_each_plan_entry_reads_in_plain_words(
    action: str, entity: str, key: str, old: Any, new: Any, expected: tuple[str, str]
) -> None:
    shown = line(action, entity, key, old, new, health_system_id=1)
    assert (shown.action, shown.change, shown.health_system) == (*expected, "Germany (DE)")
    assert shown.about == ("" if entity == "health_system" else "action 12")
    assert (shown.round, shown.indicator) == ("", "")
    assert not any(mark in f"{shown.action} {shown.change}" for mark in ("{", "}", '"', "_", "null", "true"))
