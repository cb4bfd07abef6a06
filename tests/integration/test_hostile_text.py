"""Control characters and NUL at the service edges (issue 16, findings 12 and 13), on SQLite and PostgreSQL.

A NUL made PostgreSQL raise an unhandled ``DataError``; an escape or other
control character in a label or name was stored and later broke the XLSX
exports (``IllegalCharacterError``) and reached the terminal.  Every such
value is refused with a message naming the field; nothing is written.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from b1mg_maturity.errors import NotFound, ValidationFailed
from b1mg_maturity.storage.models import AssessmentRound, User
from tests.integration.world import PASSWORD, World

HOSTILE = ["bad\x00value", "red \x1b[31malert\x1b[0m", "bell\x07", "line\nbreak", "del\x7f"]


def _rows(world: World, model: Any) -> int:
    return world.services.count(model)


@pytest.mark.parametrize("value", HOSTILE, ids=["nul", "ansi", "bell", "newline", "delete"])
def test_round_label_with_control_characters_is_refused(world: World, value: str) -> None:
    before = _rows(world, AssessmentRound)
    with pytest.raises(ValidationFailed) as caught:
        world.services.open_round(world.id("coordinator-de"), "DE", value, dt.date(2026, 5, 1))
    (line,) = caught.value.lines()
    assert line.startswith("Round name: contains a control character U+")
    assert _rows(world, AssessmentRound) == before


@pytest.mark.parametrize(("field", "words"), [("display_name", "Name"), ("email", "E-mail")])
@pytest.mark.parametrize("value", HOSTILE, ids=["nul", "ansi", "bell", "newline", "delete"])
def test_user_names_and_email_with_control_characters_are_refused(
    world: World, field: str, words: str, value: str
) -> None:
    before = _rows(world, User)
    kwargs: dict[str, Any] = {field: value}
    with pytest.raises(ValidationFailed) as caught:
        world.services.add_user(world.id("admin"), "newcomer", PASSWORD, **kwargs)
    assert caught.value.lines()[0].startswith(f"{words}: contains a control character")
    assert _rows(world, User) == before


def test_nul_in_a_username_is_refused_plainly(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        world.services.add_user(world.id("admin"), "new\x00comer", PASSWORD)
    assert caught.value.lines()[0].startswith("Username:")


LOOKUPS: dict[str, Callable[[World], Any]] = {
    "grant user": lambda w: w.services.grant(w.id("admin"), "expert\x00-de", "DE", "viewer"),
    "grant system": lambda w: w.services.grant(w.id("admin"), "expert-de", "D\x00E", "viewer"),
    "revoke": lambda w: w.services.revoke(w.id("admin"), "expert-de\x00", "DE", "expert"),
    "set role": lambda w: w.services.set_global_role(w.id("admin"), "\x00analyst", "none"),
    "invite": lambda w: w.services.invite_expert(w.id("coordinator-de"), w.rounds["DE"], "expert\x00-de"),
    "open round system": lambda w: w.services.open_round(w.id("coordinator-de"), "DE\x00", "R", dt.date(2026, 1, 1)),
    "health system": lambda w: w.services.add_health_system(w.id("admin"), "E\x00E"),
}


@pytest.mark.parametrize("name", list(LOOKUPS))
def test_nul_in_a_name_that_is_looked_up_is_not_found_not_a_crash(world: World, name: str) -> None:
    with pytest.raises((NotFound, ValidationFailed)):
        LOOKUPS[name](world)


def test_reopen_reason_with_escape_is_refused(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    services.start_review(world.id("coordinator-de"), round_id)
    services.submit(world.id("coordinator-de"), round_id)
    with pytest.raises(ValidationFailed) as caught:
        services.reopen(world.id("admin"), round_id, "because\x1b]0;pwned\x07")
    assert caught.value.lines()[0].startswith("Reason: contains a control character U+001B (escape)")
    assert services.get_round(world.id("admin"), round_id).status == "submitted"


def test_older_labels_with_control_characters_still_export_to_xlsx(world: World) -> None:
    """Data stored before the rule (written straight to the database) must not break the exports."""
    from openpyxl import load_workbook

    from b1mg_maturity.interchange.table_export import table_xlsx
    from b1mg_maturity.services.round_transfer import export_round, parse_round_json, round_json

    services, round_id = world.services, world.rounds["DE"]
    with services.db.transaction() as session:
        session.execute(
            text("UPDATE rounds SET label = :label WHERE id = :id"),
            {"label": "Round\x1b[31m 2026\x07", "id": round_id},
        )
    document = export_round(services, world.id("coordinator-de"), round_id)
    assert document.round.label == "Round[31m 2026"  # dropped on the way out, so the backup reads back in
    assert parse_round_json(round_json(document).encode()).round.label == "Round[31m 2026"
    import pandas as pd

    frame = pd.DataFrame({"Round": [document.round.label], "Note": ["tab\there\x00"]})
    workbook = load_workbook(io.BytesIO(table_xlsx(frame)))
    sheet = workbook.active
    assert sheet is not None
    assert sheet["A2"].value == "Round[31m 2026"
    assert sheet["B2"].value == "tab\there"


def test_sign_in_with_nul_is_a_wrong_name_or_password(world: World) -> None:
    from b1mg_maturity.errors import AuthenticationFailed

    for username, password in (("ad\x00min", PASSWORD), ("admin", "pass\x00word"), ("\x00", "\x00")):
        with pytest.raises(AuthenticationFailed) as caught:
            world.services.sign_in(username, password)
        assert caught.value.message == "Wrong username or password."
