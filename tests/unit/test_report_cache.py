"""The report cache: its key holds everything the PDF shows, its files are written whole and bounded in size."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.cache import ReportCache, default_directory, report_key
from b1mg_maturity.report.context import PeerMedians, ReportContext, RoundInfo, build_report_context
from b1mg_maturity.report.rounds import report_date
from b1mg_maturity.scoring import Answer, score


def answers_of(questionnaire: Questionnaire, **levels: int) -> dict[str, Answer]:
    """Level 3 everywhere (target 4), but for the indicators named (dots as underscores)."""
    return {ind.id: Answer(level=levels.get(ind.id.replace(".", "_"), 3), target=4) for ind in questionnaire.indicators}


def context_of(
    questionnaire: Questionnaire,
    answers: dict[str, Answer],
    *,
    status: str = "published",
    peers: PeerMedians | None = None,
    generated_on: dt.date = dt.date(2026, 3, 2),
) -> ReportContext:
    return build_report_context(
        questionnaire,
        score(questionnaire, answers),
        RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), status, "XT", round_id=7),
        basis_summary="consensus levels",
        benchmark=peers,
        generated_on=generated_on,
    )


def test_equal_contexts_share_a_key_and_whatever_the_report_shows_changes_it(tiny: Questionnaire) -> None:
    peers = PeerMedians({"A": 3.0, "B": 2.0}, count=3)
    base = context_of(tiny, answers_of(tiny), peers=peers)
    key = report_key(base)
    assert report_key(context_of(tiny, answers_of(tiny), peers=PeerMedians({"B": 2.0, "A": 3.0}, 3))) == key
    changed = {
        "a changed rating": context_of(tiny, answers_of(tiny, A_1_1=4), peers=peers),
        "a new peer publication": context_of(tiny, answers_of(tiny), peers=PeerMedians({"A": 3.5, "B": 2.0}, 4)),
        "a reopened round": context_of(tiny, answers_of(tiny), peers=peers, status="in_review"),
        "another day": context_of(tiny, answers_of(tiny), peers=peers, generated_on=dt.date(2026, 3, 3)),
        "another name": dataclasses.replace(base, round=dataclasses.replace(base.round, health_system_name="Other")),
    }
    keys = {why: report_key(context) for why, context in changed.items()}
    assert all(k != key for k in keys.values()), keys
    assert len(set(keys.values())) == len(keys)
    assert report_key(base, charts=False) != key


def test_cache_keeps_files_whole_and_drops_the_least_recently_used(tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "cache", max_bytes=2500)
    keys = [f"{n:064x}" for n in range(4)]
    for age, key in enumerate(keys[:3]):
        cache.put(key, b"%PDF" + bytes(1000))
        os.utime(cache.path(key), (1_000_000 + age, 1_000_000 + age))  # written one after another
    # three 1004-byte files do not fit 2500 bytes: the oldest went when the third came
    assert keys[0] not in cache and keys[1] in cache and keys[2] in cache
    assert cache.get(keys[1]) == b"%PDF" + bytes(1000)  # a hit: now the most recently used
    cache.put(keys[3], b"%PDF" + bytes(1000))
    assert [k in cache for k in keys] == [False, True, False, True]
    assert not list((tmp_path / "cache").glob("*.tmp")), "no temporary file is left behind"
    assert cache.get(keys[0]) is None


def test_cache_directory_is_beside_the_sqlite_database(tmp_path: Path) -> None:
    assert default_directory(f"sqlite:///{tmp_path / 'app.sqlite3'}") == tmp_path / "report-cache"
    assert default_directory("postgresql+psycopg://u:p@db/b1mg").name == "report-cache"


def test_a_published_rounds_report_is_dated_by_its_publication() -> None:
    published_at = dt.datetime(2026, 5, 4, 23, 59, tzinfo=dt.UTC)
    view: Any = SimpleNamespace(status="published", updated_at=published_at)
    assert report_date(view) == dt.date(2026, 5, 4)
    assert report_date(SimpleNamespace(status="submitted", updated_at=published_at)) is None  # type: ignore[arg-type]
