"""Reports of rounds in the database: who may have one, and what it holds (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from b1mg_maturity.cli import app
from b1mg_maturity.errors import PermissionDenied
from b1mg_maturity.report.context import ReportContext
from b1mg_maturity.report.render import render_report
from b1mg_maturity.report.rounds import context_for_round
from b1mg_maturity.services import Services
from tests.integration.world import World

runner = CliRunner()


def report_of(services: Services, actor_id: int, round_id: int, generated_on: dt.date | None = None) -> ReportContext:
    """The round's report context, with the default smallest group (three health systems)."""
    return context_for_round(services, actor_id, round_id, min_group_size=3, generated_on=generated_on)


def fill_and_publish(world: World, code: str = "DE") -> int:
    """Two experts rate three indicators; the coordinator agrees one level and sets targets; the admin publishes."""
    services, round_id, low = world.services, world.rounds[code], code.lower()
    expert, second = world.id(f"expert-{low}"), world.id(f"expert2-{low}")
    coordinator = world.id(f"coordinator-{low}")
    services.rate(expert, round_id, "D1.1.1", level=2, evidence="Board minutes <b>2025</b>", expected_version=0)
    services.rate(
        second,
        round_id,
        "D1.1.1",
        level=3,
        evidence="Strategy draft p. 4",
        links=["https://example.org/s"],
        expected_version=0,
    )
    services.rate(expert, round_id, "D1.2.1", level=4, evidence="", expected_version=0)
    services.rate(second, round_id, "D3.1.1", not_applicable=True, level=None, evidence="not ours", expected_version=0)
    services.set_consensus(
        coordinator, round_id, "D1.1.1", level=2, rationale="Agreed: <script>2</script>", expected_version=0
    )
    services.set_target(coordinator, round_id, "D1.1.1", target=4, expected_version=0)
    services.set_target(coordinator, round_id, "D1.2.1", target=5, expected_version=0)
    services.start_review(coordinator, round_id)
    services.submit(coordinator, round_id)
    services.publish(world.id("admin"), round_id)
    return round_id


def test_viewer_gets_the_published_report_without_experts_evidence(world: World) -> None:
    round_id = fill_and_publish(world)
    context = report_of(world.services, world.id("viewer-de"), round_id, generated_on=dt.date(2026, 3, 2))
    assert (context.round.health_system_code, context.round.label, context.round.status) == (
        "DE",
        "Round 2026",
        "published",
    )
    assert not context.draft and not context.evidence_included
    row = next(r for r in context.domain("D1").rows if r.indicator_id == "D1.1.1")
    assert (row.level, row.target, row.gap, row.basis) == (2, 4, 2, "consensus")
    assert row.rationale == "Agreed: <script>2</script>" and row.evidence == ()
    assert [i.row.indicator_id for g in context.action_plan for i in g.items] == ["D1.1.1", "D1.2.1"]
    assert context.benchmark is None and context.change is None

    result = render_report(context, charts=False)
    reader = PdfReader(io.BytesIO(result.pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    assert "Agreed: <script>2</script>" in text
    assert "DRAFT" not in text
    assert reader.metadata is not None and reader.metadata.title == context.title


def test_coordinator_report_includes_the_experts_evidence_without_names(world: World) -> None:
    round_id = fill_and_publish(world)
    context = report_of(world.services, world.id("coordinator-de"), round_id)
    assert context.evidence_included
    row = next(r for r in context.domain("D1").rows if r.indicator_id == "D1.1.1")
    assert row.evidence == ("Board minutes <b>2025</b>", "Strategy draft p. 4")
    assert row.links == ("https://example.org/s",)
    median = next(r for r in context.domain("D1").rows if r.indicator_id == "D1.2.1")
    assert (median.level, median.basis) == (4, "experts' median")


@pytest.mark.parametrize("outsider", ["nobody", "viewer-fr", "coordinator-fr", "expert-fr"])
def test_outsiders_are_refused(world: World, outsider: str) -> None:
    round_id = fill_and_publish(world)
    with pytest.raises(PermissionDenied):
        report_of(world.services, world.id(outsider), round_id)


def test_a_draft_round_is_refused_to_viewers_and_marked_for_its_team(world: World) -> None:
    round_id = world.rounds["DE"]
    with pytest.raises(PermissionDenied):
        report_of(world.services, world.id("viewer-de"), round_id)
    context = report_of(world.services, world.id("coordinator-de"), round_id)
    assert context.draft and context.watermark == "DRAFT"


def test_the_previous_submitted_or_published_round_is_compared(world: World) -> None:
    services, coordinator = world.services, world.id("coordinator-de")
    first = fill_and_publish(world)
    later = services.open_round(coordinator, "DE", "Round 2027", dt.date(2027, 3, 1), copy_from_round_id=first)
    copied = services.consensus_of(coordinator, later.id)["D1.2.1"]  # the copy of the 2026 level
    services.set_consensus(coordinator, later.id, "D1.2.1", level=5, rationale="done", expected_version=copied.version)
    draft_between = services.open_round(coordinator, "DE", "Interim", dt.date(2026, 9, 1))
    context = report_of(services, coordinator, later.id)
    assert context.change is not None and context.change.previous_label == "Round 2026"
    assert (context.change.improved, context.change.declined) == (1, 0)
    governance = context.domain("D1").change
    assert governance is not None and governance.direction == "up"
    assert report_of(services, coordinator, draft_between.id).change is not None  # compares with 2026 too


def test_an_expert_sees_no_previous_round_they_may_not_open(world: World) -> None:
    services, coordinator, admin = world.services, world.id("coordinator-de"), world.id("admin")
    first = fill_and_publish(world)
    later = services.open_round(coordinator, "DE", "Round 2027", dt.date(2027, 3, 1), copy_from_round_id=first)
    newcomer = services.add_user(admin, "expert3-de", "test-password-123").id
    services.grant(admin, "expert3-de", "DE", "expert")
    services.invite_expert(coordinator, later.id, "expert3-de")
    assert services.report_inputs(coordinator, later.id).previous is not None
    theirs = services.report_inputs(newcomer, later.id)  # not invited to the 2026 round: may not open it
    assert theirs.previous is None and not theirs.evidence_included


def test_the_report_is_read_in_one_unit_of_work(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """One read-only transaction for everything the report rests on (the peers' medians apart)."""
    round_id = fill_and_publish(world)
    db = world.services.db
    opened: list[str] = []
    reading, transaction = db.reading, db.transaction

    def counted_reading() -> Any:
        opened.append("reading")
        return reading()

    def counted_transaction() -> Any:
        opened.append("transaction")
        return transaction()

    monkeypatch.setattr(db, "reading", counted_reading)
    monkeypatch.setattr(db, "transaction", counted_transaction)
    inputs = world.services.report_inputs(world.id("coordinator-de"), round_id)
    assert opened == ["reading"]
    assert inputs.evidence_included and inputs.round.status == "published" and inputs.card.overall.score == 3.0


def test_cli_reports_a_round_and_all_published_rounds_with_a_zip(
    world: World, database_url: str, tmp_path: Path
) -> None:
    fill_and_publish(world)
    db = ["--database-url", database_url, "--no-charts"]
    single = tmp_path / "one.pdf"
    result = runner.invoke(app, ["report", "--round", str(world.rounds["FR"]), "-o", str(single), *db])
    assert result.exit_code == 0, result.output
    assert single.read_bytes().startswith(b"%PDF")
    folder = tmp_path / "all"
    result = runner.invoke(app, ["report", "--all", "--published", "-o", str(folder), *db])
    assert result.exit_code == 0, result.output
    pdfs = sorted(p.name for p in folder.glob("*.pdf"))
    assert pdfs == ["DE-round-2026-readiness-report.pdf"]  # FR's round is a draft
    (archive,) = folder.glob("*.zip")
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.namelist() == pdfs
    missing = runner.invoke(app, ["report", "--round", "99999", "-o", str(single), *db])
    assert missing.exit_code == 2 and "You may not open this round." in missing.stderr
