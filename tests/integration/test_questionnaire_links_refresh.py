"""A questionnaire file that only gains guidance links keeps its identity, and the database takes the links."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from b1mg_maturity.services import Services
from b1mg_maturity.storage.models import AuditEntry, QuestionnaireVersion

TINY = Path(__file__).parents[1] / "fixtures" / "tiny.yaml"
LINE = "            levels: {1: a1, 2: a2, 3: a3, 4: a4, 5: a5}\n"
LINKED = LINE + '            resources:\n              - {title: A guide, url: "https://example.org/guide"}\n'


def test_the_same_content_with_a_new_link_keeps_its_id_and_takes_the_link(services: Services) -> None:
    plain = TINY.read_text(encoding="utf-8")
    assert plain.count(LINE) == 1
    first = services.register_questionnaire(None, plain)
    again = services.register_questionnaire(None, plain.replace(LINE, LINKED))
    assert again == first  # the same questionnaire: its rounds read the same
    with services.db.reading() as session:
        stored = session.scalars(select(QuestionnaireVersion.yaml_text).where(QuestionnaireVersion.id == first)).one()
        refreshed = list(session.scalars(select(AuditEntry.action).where(AuditEntry.action == "refresh_text")))
    assert "https://example.org/guide" in stored
    assert refreshed == ["refresh_text"]
    assert services.register_questionnaire(None, plain.replace(LINE, LINKED)) == first  # no change, no entry
    with services.db.reading() as session:
        assert len(list(session.scalars(select(AuditEntry).where(AuditEntry.action == "refresh_text")))) == 1
