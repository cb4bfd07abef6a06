"""A visitor's quick assessment in the whole app (AppTest, not signed in): rate, read the results, download
the answers file and the PDF, and nothing is written to the database or kept in the report cache."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from b1mg_maturity.interchange.answers_file import parse_answers_csv
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.scoring import Answer
from b1mg_maturity.ui.quick_assessment import NAME_KEY, level_key, target_key
from tests.apptest import APP, app_database, copy_sqlite, point_app_at

PDF_WAIT_SECONDS = 300  # a report worker starting on a busy 2-core machine


def _rows(url: str) -> dict[str, int]:
    """How many rows every table of the database holds."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in sa.inspect(connection).get_table_names()
            }
    finally:
        engine.dispose()


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_visitor_rates_downloads_the_answers_and_the_pdf_and_nothing_is_stored(
    demo_database: Path, tmp_path: Path, downloads: dict[str, bytes], mlm: Questionnaire
) -> None:
    with app_database():
        url = copy_sqlite(demo_database, tmp_path)
        point_app_at(url)
        at = AppTest.from_file(str(APP), default_timeout=120)
        at._page_hash = calc_hash("quick")  # the visitor's menu entry, as the browser asks for it
        _run(at)
        assert [t.value for t in at.title] == ["Quick assessment"]
        assert not at.button(key="quick-pdf-prepare").disabled
        before = _rows(url)
        assert before["audit_log"] > 0 and before["rounds"] > 0  # the demo world is there to be left alone

        at.text_input(key=NAME_KEY).set_value("Testland")
        at.radio(key=level_key("D1.1.1")).set_value(2)
        at.radio(key=level_key("D2.1.1")).set_value("not-applicable")
        _run(at)
        at.selectbox(key=target_key("D1.1.1")).set_value(4)
        _run(at)
        assert {m.label: m.value for m in at.metric}["Overall score"] == "2.00"

        csv = downloads["quick-assessment-answers.csv"]
        lines = csv.decode("utf-8-sig").splitlines()
        assert lines[0].split(",")[:4] == ["indicator_id", "level", "target", "evidence"]
        rows = {line.split(",")[0]: line.split(",")[1:3] for line in lines[1:]}
        assert len(rows) == 49
        assert (rows["D1.1.1"], rows["D2.1.1"], rows["D3.1.1"]) == (["2", "4"], ["NA", ""], ["", ""])
        parsed = parse_answers_csv(csv, mlm)  # the format a round imports
        assert parsed["D1.1.1"] == Answer(level=2, target=4)
        assert parsed["D2.1.1"] == Answer(not_applicable=True)

        at.button(key="quick-pdf-prepare").click()
        _run(at)
        deadline = time.monotonic() + PDF_WAIT_SECONDS
        pdfs: list[str] = []
        while not pdfs and time.monotonic() < deadline:
            time.sleep(2)
            _run(at)
            pdfs = [name for name in downloads if name.endswith(".pdf")]
        assert len(pdfs) == 1 and "Testland" in pdfs[0], (pdfs, [i.value for i in at.info])
        pdf = downloads[pdfs[0]]
        assert pdf.startswith(b"%PDF")

        from b1mg_maturity.report.jobs import report_jobs

        kept = list(report_jobs().cache.directory.glob("*.pdf"))
        assert not any(path.read_bytes() == pdf for path in kept)  # handed over, then gone from the server
        assert _rows(url) == before  # not a row written: no round, no rating, no audit entry, no session
