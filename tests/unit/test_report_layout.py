"""The report's layout read back from the PDF with pdfplumber: odd cases a real round can bring.

One report drawn once for the module (charts included): a 210-character health-system name, a
domain not rated at all (VII), and evidence holding long web addresses.  Its words are checked
against the page: inside the page's content box (the cover: inside the page), the running header
on one line, the cover's facts on page 1, body text at 9 pt or more, no web address hyphenated,
no page under half full unless a new part starts after it.  A cheap second report (no charts, no
targets) shows that a round without targets gets a short note, not a blank action-plan page.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pdfplumber
import pytest

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import IndicatorNotes, ReportContext, RoundInfo, build_report_context
from b1mg_maturity.report.figures import ChartServer
from b1mg_maturity.report.render import render_report
from b1mg_maturity.scoring import Answer, score
from tests.unit.test_report_pdf import need_chromium

MM = 72 / 25.4  # points in a millimetre
MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_LEFT = 25 * MM, 20 * MM, 22 * MM, 20 * MM  # report.css @page
SLACK = 0.6  # points: rounding of glyph boxes
WATERMARK_SIZE = 60  # points: only the DRAFT watermark is larger (none here: the round is published)

NAME = (
    "The Autonomous Regional Health Service of the Upper Valley, the Lake District and the Northern Islands, "
    "together with its associated university hospitals and the public genomic laboratories of the entire region"
)
URL = "https://www.example-ministry.gov/publications/genomics/national-strategy-implementation-plan-2025.pdf"
DEEP_URL = "https://data.example.org/" + "segment/" * 18 + "end"


def odd_answers(questionnaire: Questionnaire, *, targets: bool = True) -> dict[str, Answer]:
    """Every level; every 11th indicator not applicable; domain VII (D7) not answered at all."""
    answers: dict[str, Answer] = {}
    for index, indicator in enumerate(questionnaire.indicators):
        if indicator.id.startswith("D7"):
            continue
        if index % 11 == 10:
            answers[indicator.id] = Answer(not_applicable=True)
            continue
        level = 1 + index % 5
        answers[indicator.id] = Answer(level=level, target=min(5, level + index % 3) if targets else None)
    return answers


NOTES = {
    "D1.1.1": IndicatorNotes(
        evidence=(f"The plan is published at {URL} since May.", "A long note that goes on and on. " * 6),
        links=(URL, DEEP_URL),
        rationale="Agreed after a long discussion of the evidence. " * 4,
    ),
    "D3.1.1": IndicatorNotes(evidence=(DEEP_URL,), rationale="Short."),
}


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Page:
    number: int
    width: float
    height: float
    words: tuple[Word, ...]
    chars: tuple[dict[str, Any], ...]
    text: str

    def in_margins(self, word: Word) -> bool:
        return word.bottom <= MARGIN_TOP + SLACK or word.top >= self.height - MARGIN_BOTTOM - SLACK

    @property
    def header(self) -> list[Word]:
        return [w for w in self.words if w.bottom <= MARGIN_TOP + SLACK]

    @property
    def body(self) -> list[Word]:
        return [w for w in self.words if not self.in_margins(w)]


@dataclass(frozen=True)
class Made:
    context: ReportContext
    pages: tuple[Page, ...]


def read_pages(pdf: bytes) -> tuple[Page, ...]:
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            chars = tuple(c for c in page.chars if c["size"] < WATERMARK_SIZE)
            words = tuple(
                Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"])
                for w in page.extract_words(keep_blank_chars=False)
            )
            pages.append(Page(number, page.width, page.height, words, chars, page.extract_text() or ""))
    return tuple(pages)


@pytest.fixture(scope="module")
def odd(mlm: Questionnaire) -> Iterator[Made]:
    need_chromium()
    context = build_report_context(
        mlm,
        score(mlm, odd_answers(mlm)),
        RoundInfo(NAME, "Round 2026 spring review of the national programme", dt.date(2026, 3, 1), "published", "XT"),
        basis_summary="consensus levels",
        notes=NOTES,
        generated_on=dt.date(2026, 3, 2),
    )
    server = ChartServer()
    try:
        yield Made(context, read_pages(render_report(context, server=server).pdf))
    finally:
        server.stop()


def test_the_name_is_210_characters_and_the_report_stays_within_its_page_bound(odd: Made) -> None:
    assert len(NAME) == 210
    # cover 1, brief 2, 8 domains packed (49 indicators, 7 charts; measured 8 pages), an action plan of the
    # 26 gaps (measured 2), annex and methodology (measured 3): 16 pages; before the packing the same round
    # took 27 (a page or more per domain, a page for the contents, evidence beside each domain)
    assert 12 <= len(odd.pages) <= 18, len(odd.pages)


def test_no_word_lies_outside_the_content_box_of_its_page(odd: Made) -> None:
    for page in odd.pages:
        if page.number == 1:  # the cover has no margins: inside the page itself
            box = (0.0, page.width, 0.0, page.height)
            words = list(page.words)
        else:
            box = (MARGIN_LEFT, page.width - MARGIN_RIGHT, MARGIN_TOP, page.height - MARGIN_BOTTOM)
            words = page.body
        left, right, top, bottom = box
        outside = [
            w.text
            for w in words
            if w.x0 < left - SLACK or w.x1 > right + SLACK or w.top < top - SLACK or w.bottom > bottom + SLACK
        ]
        assert outside == [], (page.number, outside[:10])


def test_no_two_words_overlap(odd: Made) -> None:
    """Text pushed out of a table cell or a chart label cut into a neighbour would lie on other text."""
    for page in odd.pages:
        words = sorted(page.words, key=lambda w: w.x0)
        for i, first in enumerate(words):
            for second in words[i + 1 :]:
                if second.x0 >= first.x1 - SLACK:
                    break
                overlap_x = min(first.x1, second.x1) - max(first.x0, second.x0)
                overlap_y = min(first.bottom, second.bottom) - max(first.top, second.top)
                assert overlap_x <= SLACK or overlap_y <= SLACK, (page.number, first.text, second.text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_cover_holds_the_name_and_every_fact_on_page_1(odd: Made) -> None:
    cover = squash(odd.pages[0].text)
    words = {w.text for w in odd.pages[0].words}
    for fact in (
        NAME,
        "Round 2026 spring review of the national programme",
        "1 March 2026",
        "Published",
        "XT",
        "consensus levels",
        "2 March 2026",
        "OVERALL MATURITY",  # capitals by the stylesheet
        "AT A GLANCE",
        "Partial assessment" if odd.context.partial else odd.context.overall.band_text,
        "Source:",
    ):
        # in reading order, or (beside the At a glance list, whose lines pdfplumber interleaves) word by word
        assert squash(fact) in cover or set(fact.split()) <= words, fact
    # the At a glance box ends above the cover's foot, on the same page
    cover_words = odd.pages[0].words
    last_message_word = odd.context.key_messages[-1].split()[-1]
    glance_bottom = max(w.bottom for w in cover_words if w.text == last_message_word)
    foot_top = min(w.top for w in cover_words if w.text == "Rated")
    assert glance_bottom < foot_top


def test_the_running_header_is_one_line_and_says_the_name_cut_short(odd: Made) -> None:
    for page in odd.pages[1:]:
        header = page.header
        assert header, page.number
        lines = {round(w.top) for w in header}
        assert len(lines) == 1, (page.number, lines)
        text = " ".join(w.text for w in header)
        assert text.startswith("The Autonomous Regional Health Service") and "…" in text, text
        assert min(w.x0 for w in header) >= MARGIN_LEFT - SLACK
        assert max(w.x1 for w in header) <= page.width - MARGIN_RIGHT + SLACK


def test_web_addresses_are_never_hyphenated(odd: Made) -> None:
    text = "".join(squash(page.text) for page in odd.pages)
    for url in (URL, DEEP_URL):
        # a line break inside an address adds no character; a hyphen would change the address
        assert text.count(squash(url)) >= 2, url  # the evidence text and the list of web addresses
    assert "ex-ample" not in text and "seg-ment" not in text and "segment-/" not in text


def test_body_text_is_9_pt_or_more_charts_included(odd: Made) -> None:
    small: dict[int, set[str]] = {}
    for page in odd.pages:
        for char in page.chars:
            in_margin = page.number > 1 and (
                char["bottom"] <= MARGIN_TOP + SLACK or char["top"] >= page.height - MARGIN_BOTTOM - SLACK
            )
            if not in_margin and char["text"].strip() and char["size"] < 8.95:
                small.setdefault(page.number, set()).add(f"{char['text']}:{char['size']:.2f}")
    assert small == {}


def test_the_radar_names_the_domain_not_rated_whole_on_the_brief(odd: Made) -> None:
    brief = odd.pages[1]
    code = min((w for w in brief.body if w.text == "VII"), key=lambda w: w.x0)  # the radar's, left of the table
    below = sorted(
        (w for w in brief.body if 0 <= w.top - code.bottom < 6 and w.x0 < code.x1 and w.x1 > code.x0 - 30),
        key=lambda w: w.x0,
    )  # the spoke's second line, under its code
    assert "".join(w.text for w in below) == "notrated", [w.text for w in below]


def test_no_page_is_less_than_half_full_unless_a_new_part_follows(odd: Made) -> None:
    starts_part = {
        page.number for page in odd.pages if page.body and page.body[0].text in ("The", "Results")
    }  # "The brief", "Results by domain": the parts that start a page
    content_height = odd.pages[1].height - MARGIN_TOP - MARGIN_BOTTOM
    for page in odd.pages[1:-1]:  # the cover is a page of its own; the last page ends the report
        if page.number + 1 in starts_part:
            continue
        filled = (max(w.bottom for w in page.body) - MARGIN_TOP) / content_height
        assert filled >= 0.5, (page.number, round(filled, 2))


def test_without_targets_the_brief_says_so_and_no_action_plan_page_is_left_blank(tiny: Questionnaire) -> None:
    answers = {"A.1.1": Answer(level=2), "A.1.2": Answer(level=3), "B.1.1": Answer(level=1), "C.1.1": Answer(level=4)}
    context = build_report_context(
        tiny, score(tiny, answers), RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), "published", "XT")
    )
    pages = read_pages(render_report(context, charts=False).pdf)
    text = [squash(page.text) for page in pages]
    note = squash("No targets have been set for this round, so the report lists no gaps.")
    assert [i + 1 for i, t in enumerate(text) if note in t] == [3]  # the brief's second page
    assert not any(squash("Action plan") in t or squash("Gaps and next steps") in t for t in text)
    assert not any("TargetGap" in t for t in text)  # no empty target and gap columns either


def test_a_partial_assessment_says_so_on_the_cover_without_a_headline_level(tiny: Questionnaire) -> None:
    answers = {"A.1.1": Answer(level=2, target=4)}  # 1 of the 6 indicators of the tiny questionnaire
    context = build_report_context(
        tiny, score(tiny, answers), RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), "published", "XT")
    )
    assert context.partial
    page = read_pages(render_report(context, charts=False).pdf)[0]
    head = min(w.top for w in page.words if w.text == "OVERALL")
    # the score's column of the At a glance box: left of the messages (cover margin 22 mm, box 9 mm, column 44 mm)
    column = squash(" ".join(w.text for w in page.words if w.top >= head and w.x1 <= 76 * MM and w.x0 < 76 * MM))
    assert column.startswith(squash("OVERALL MATURITY Partial assessment 1 of 6 applicable indicators answered, 17%."))
    assert squash("An overall level needs 80%.") in column
    cover = squash(page.text)
    assert "Level2·" not in cover and "/5" not in cover  # no headline level, no score out of 5
