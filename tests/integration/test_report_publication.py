"""A published round's report: made when it is published, as its readers will ask for it, and never served
stale (reopened and republished, or a peer publishing since).  Keys only: no PDF is rendered here."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
from b1mg_maturity.report import jobs as report_jobs_module
from b1mg_maturity.report.cache import ReportCache, report_key
from b1mg_maturity.report.context import ReportContext
from b1mg_maturity.report.jobs import PreparedReport, ReportJobs, prepare_published
from b1mg_maturity.report.rounds import context_for_round, report_date
from b1mg_maturity.services import Services
from tests.apptest import copy_sqlite


class Recorder(ReportJobs):
    """Records what it is asked to make instead of making it."""

    def __init__(self, cache: ReportCache) -> None:
        super().__init__(cache)
        self.asked: list[ReportContext] = []

    def submit(self, context: ReportContext, *, charts: bool = True) -> Future[PreparedReport]:
        self.asked.append(context)
        return Future()


@pytest.fixture
def demo(demo_database: Path, tmp_path: Path) -> Iterator[Services]:
    services = operator_services(copy_sqlite(demo_database, tmp_path))
    yield services
    services.db.dispose()


def user(services: Services, name: str) -> int:
    return next(u.id for u in services.list_users(OPERATOR_ID) if u.username == name)


def seen_by(services: Services, name: str, round_id: int) -> ReportContext:
    """The report a user gets on the Results page (dated as the page dates it)."""
    actor = user(services, name)
    view = services.get_round(actor, round_id)
    return context_for_round(
        services, actor, round_id, min_group_size=services.settings.min_group_size, generated_on=report_date(view)
    )


def published_round(services: Services, code: str) -> int:
    return max(
        (r for r in services.list_rounds(OPERATOR_ID) if r.health_system.code == code and r.status == "published"),
        key=lambda r: r.round_date,
    ).id


def test_publishing_makes_the_reports_its_viewers_and_coordinators_will_ask_for(
    demo: Services, tmp_path: Path, monkeypatch: Any
) -> None:
    recorder = Recorder(ReportCache(tmp_path / "cache", 1 << 20))
    monkeypatch.setattr(report_jobs_module, "report_jobs", lambda settings=None: recorder)
    admin = user(demo, "demo-admin")
    round_id = published_round(demo, "XA")
    demo.reopen(admin, round_id, "A late correction")
    demo.submit(admin, round_id)
    view = demo.publish(admin, round_id)
    prepare_published(demo, admin, view)
    made = {report_key(context) for context in recorder.asked}
    assert report_key(seen_by(demo, "demo-viewer", round_id)) in made
    assert report_key(seen_by(demo, "demo-coordinator", round_id)) in made
    assert len(made) == 2  # the copy with the experts' evidence, and the one without


def test_a_reopened_and_republished_round_is_not_served_its_old_report(demo: Services, tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache", 1 << 20)
    admin = user(demo, "demo-admin")
    round_id = published_round(demo, "XA")
    before = report_key(seen_by(demo, "demo-viewer", round_id))
    cache.put(before, b"%PDF old")

    demo.reopen(admin, round_id, "The consensus of one indicator was mistyped")
    indicator, target = next(iter(demo.targets_of(admin, round_id).items()))
    demo.set_target(admin, round_id, indicator, target=5 if target.target != 5 else 4, expected_version=target.version)
    demo.submit(admin, round_id)
    demo.publish(admin, round_id)
    after = report_key(seen_by(demo, "demo-viewer", round_id))
    assert after != before and cache.get(after) is None


def test_a_peer_publishing_gives_the_report_of_its_year_a_new_key_and_older_reports_none(demo: Services) -> None:
    """XE publishes its round of 2026: the benchmark of XA's 2026 round (XE counted with its 2025 round until
    then) moves and its report gets a new key; XA's published 2025 report keeps its benchmark and its key."""
    draft_2026 = next(
        r.id for r in demo.list_rounds(OPERATOR_ID) if r.health_system.code == "XA" and r.status == "draft"
    )
    published_2025 = published_round(demo, "XA")
    before = seen_by(demo, "demo-coordinator", draft_2026)
    old_report = seen_by(demo, "demo-viewer", published_2025)
    submitted = next(
        r for r in demo.list_rounds(OPERATOR_ID) if r.health_system.code == "XE" and r.status == "submitted"
    )
    assert submitted.period.year == 2026 == demo.get_round(OPERATOR_ID, draft_2026).period.year
    demo.publish(user(demo, "demo-admin"), submitted.id)
    after = seen_by(demo, "demo-coordinator", draft_2026)
    assert after.benchmark != before.benchmark, "the demo peer's new round moves a median"
    assert report_key(after) != report_key(before)
    again = seen_by(demo, "demo-viewer", published_2025)
    assert again.benchmark == old_report.benchmark and report_key(again) == report_key(old_report)
