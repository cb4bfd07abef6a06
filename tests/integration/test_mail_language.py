"""Mails in their readers' languages: each person's chosen language, else the language of the person whose
action sends the mail; one mail per language when a round moves on (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

from babel.messages.pofile import read_po
from sqlalchemy import delete, select, update

from b1mg_maturity import i18n
from b1mg_maturity.storage.models import OutboxMail, User
from tests.integration.world import World

INVITATION = "You are invited to rate {round} of {system}"
IN_REVIEW = "{round} of {system} is ready for review"


def _catalogue(code: str, message: str) -> str:
    """The translation as the catalogue file holds it (read here without the app's machinery)."""
    with (i18n.LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = read_po(handle)[message].string
    assert isinstance(translated, str) and translated and translated != message
    return translated


def _outbox(world: World, round_id: int, kind: str) -> dict[tuple[str, ...], str]:
    with world.services.db.reading() as session:
        rows = session.scalars(select(OutboxMail).where(OutboxMail.round_id == round_id, OutboxMail.kind == kind))
        return {tuple(json.loads(row.recipients)): row.subject for row in rows}


def test_each_reader_gets_the_mail_in_their_language(world: World) -> None:
    services = world.services
    coordinator = world.id("coordinator-fr")
    with services.db.writing() as connection:
        connection.execute(delete(OutboxMail))
        for name in ("expert-fr", "expert2-fr"):
            connection.execute(update(User).where(User.username == name).values(email=f"{name}@example.org"))
    services.set_language(world.id("expert-fr"), "fr")
    round_id = services.open_round(coordinator, "FR", "Round 2027", dt.date(2027, 3, 1)).id
    system = services.get_round(coordinator, round_id).health_system.name
    label = services.get_round(coordinator, round_id).label

    services.invite_expert(coordinator, round_id, "expert-fr")  # the coordinator works in English
    with i18n.language("de"):  # a coordinator working in German invites someone who chose no language
        services.invite_expert(coordinator, round_id, "expert2-fr")
    invitations = _outbox(world, round_id, "invitation")
    assert invitations == {
        ("expert-fr@example.org",): _catalogue("fr", INVITATION).format(round=label, system=system),
        ("expert2-fr@example.org",): _catalogue("de", INVITATION).format(round=label, system=system),
    }

    services.start_review(coordinator, round_id)  # in English: one mail in French, one in English
    assert _outbox(world, round_id, "in_review") == {
        ("expert-fr@example.org",): _catalogue("fr", IN_REVIEW).format(round=label, system=system),
        ("expert2-fr@example.org",): IN_REVIEW.format(round=label, system=system),
    }


def test_choosing_a_language_is_audited_and_an_unknown_one_is_refused(world: World) -> None:
    import pytest

    from b1mg_maturity.errors import ValidationFailed

    services = world.services
    expert = world.id("expert-de")
    services.set_language(expert, "de")
    services.set_language(expert, "de")  # the same again: no new entry
    services.set_language(expert, None)
    with pytest.raises(ValidationFailed) as refused:
        services.set_language(expert, "xx")
    assert "'xx' is not one of the languages offered" in str(refused.value.problems[0])
    entries = [e for e in services.audit_log(world.id("admin")) if e.action == "set_language"]
    assert [(e.entity_key, e.old_value, e.new_value) for e in entries][:2] == [
        ("expert-de", "de", None),
        ("expert-de", None, "de"),
    ]


def test_a_round_whose_readers_have_no_address_still_keeps_its_mail_to_copy(world: World) -> None:
    services = world.services
    with services.db.writing() as connection:
        connection.execute(delete(OutboxMail))
    round_id = world.rounds["DE"]  # its experts have no e-mail address
    services.set_language(world.id("expert-de"), "fr")
    services.start_review(world.id("coordinator-de"), round_id)
    label = services.get_round(world.id("coordinator-de"), round_id).label
    system = services.get_round(world.id("coordinator-de"), round_id).health_system.name
    assert _outbox(world, round_id, "in_review") == {(): IN_REVIEW.format(round=label, system=system)}
