"""The report worker pool: real WeasyPrint and kaleido in worker processes, the cache in front of them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.cache import ReportCache
from b1mg_maturity.report.jobs import ReportJobs
from tests.unit.test_report_cache import answers_of, context_of
from tests.unit.test_report_pdf import need_chromium

WAIT = 300  # seconds: a worker's start and a small report, on a busy 2-core machine


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportJobs]:
    """One worker (a small pool keeps the suite lean; the benchmark measures two)."""
    need_chromium()
    pool = ReportJobs(ReportCache(tmp_path_factory.mktemp("report-cache"), 64 * 1024 * 1024), workers=1)
    yield pool
    pool.shutdown()


def test_a_report_is_made_in_a_worker_then_served_from_the_cache(jobs: ReportJobs, tiny: Questionnaire) -> None:
    (worker,) = (f.result(WAIT) for f in jobs.warm_up())
    assert worker != os.getpid()

    made = jobs.submit(context_of(tiny, answers_of(tiny))).result(WAIT)
    assert made.pdf.startswith(b"%PDF") and not made.from_cache
    assert made.worker_pid == worker
    assert jobs.cached(made.key) == made.pdf, "kept in the cache before it was handed over"
    rendered = jobs.counts["rendered"]

    again = jobs.submit(context_of(tiny, answers_of(tiny)))  # an equal context, built anew
    assert again.done(), "served at once"
    served = again.result()
    assert served.from_cache and served.key == made.key and served.pdf == made.pdf
    assert (jobs.counts["rendered"], jobs.counts["cached"]) == (rendered, 1)

    rerated = jobs.submit(context_of(tiny, answers_of(tiny, A_1_1=5))).result(WAIT)
    assert rerated.key != made.key and not rerated.from_cache
    assert rerated.pdf.startswith(b"%PDF") and rerated.pdf != made.pdf
    assert jobs.counts["rendered"] == rendered + 1


def test_the_same_report_asked_for_twice_at_once_is_made_once(jobs: ReportJobs, tiny: Questionnaire) -> None:
    context = context_of(tiny, answers_of(tiny, B_1_1=1))
    first, second = jobs.submit(context), jobs.submit(context)
    assert first is second
    assert first.result(WAIT).pdf.startswith(b"%PDF")


def test_a_report_that_cannot_be_made_fails_in_plain_words(tmp_path: Path, tiny: Questionnaire) -> None:
    broken = ReportJobs(ReportCache(tmp_path, 1024 * 1024), workers=1)
    broken.workers = 0  # no pool can start with no worker: the failure reaches the waiting person as words
    failure = broken.submit(context_of(tiny, answers_of(tiny))).exception(WAIT)
    assert failure is not None and "could not be started" in str(failure)
