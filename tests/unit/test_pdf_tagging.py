"""The report's tag finisher (``report/tagging.py``) on small hand-made documents, read back from the tree.

Each document is a few lines of HTML made into a tagged PDF by the report's own WeasyPrint call
(well under a second each), so every case can be built to show one thing: a table split over
three pages with a row split across a page break, a contents line with a dot leader, names in
other scripts; and one small report of the tiny questionnaire for a health system with a Greek
name and Greek evidence.  The demo world's reports are checked in ``test_pdf_ua.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.report.context import IndicatorNotes, RoundInfo, build_report_context
from b1mg_maturity.report.render import html_to_pdf, render_report
from b1mg_maturity.scoring import Answer, score
from tests.pdf_tree import Element, Tree, read_tree

PAGE = "@page { size: 120mm 90mm; margin: 10mm; @bottom-center { content: 'Page ' counter(page) } }"


def make(tmp_path: Path, name: str, body: str, style: str = "") -> Tree:
    html = f'<!DOCTYPE html><html lang="en"><head><title>{name}</title><style>{PAGE} {style}</style></head><body>{body}</body></html>'
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(html_to_pdf(html))
    return read_tree(path)


def only(tree: Tree, tag: str) -> list[Element]:
    return [e for e in tree.elements() if e.tag == tag]


def assert_all_content_in_tree_or_artifact(tree: Tree) -> None:
    owner = {mcid: element for element in tree.elements() for mcid in element.mcids}
    assert tree.unmarked == {}
    for sequence in tree.sequences:
        assert sequence.artifact or (sequence.page, sequence.mcid) in owner, sequence
    for (page, mcid), element in owner.items():
        key = tree.struct_parents[page]
        assert key is not None
        entry = tree.parent_tree[key]
        assert entry[mcid] == element.ref, (page, mcid, element.tag)  # the parent tree agrees with the tree


ROWS = 14  # 14 rows of about 9 mm, one of them tall, on pages with 70 mm of room: three pages or more


@pytest.fixture(scope="module")
def split_table(tmp_path_factory: pytest.TempPathFactory) -> Tree:
    rows = "".join(
        f'<tr><th scope="row">Row {i}</th><td>{"tall " * 60 if i == 7 else f"value {i}"}</td></tr>'
        for i in range(1, ROWS + 1)
    )
    body = f"<h1>Scores</h1><table><caption>Hand-made</caption><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table><p>After.</p>"
    style = "td, th { padding: 2mm; font-size: 10pt; } thead { display: table-header-group; }"
    return make(tmp_path_factory.mktemp("split"), "split", body, style)


def test_a_table_over_three_pages_is_one_table_with_its_header_once(split_table: Tree) -> None:
    tree = split_table
    tables = only(tree, "Table")
    assert len(tables) == 1
    table = tables[0]
    assert len(table.pages()) >= 3  # the document was made to split it at least twice
    assert [kid.tag for kid in table.kids] == ["Caption", "THead", "TBody"]
    rows = [row for group in table.kids for row in group.kids if row.tag == "TR"]
    assert len(rows) == 1 + ROWS  # the head row once, then every body row once
    texts = [row.text(tree.texts) for row in rows]
    assert texts[0] == "NameValue"
    firsts = [t.replace(" ", "").split("value")[0].split("tall")[0] for t in texts[1:]]
    assert firsts == [f"Row{i}" for i in range(1, ROWS + 1)]
    # the head row repeated on the later pages is an artifact, and so is the page number
    for page in sorted(table.pages())[1:]:
        assert tree.artifact_text[page].startswith("NameValue"), page
        assert f"Page {page + 1}" in tree.artifact_text[page]
    assert_all_content_in_tree_or_artifact(tree)


def test_a_row_split_by_a_page_break_stays_one_row_with_all_its_words(split_table: Tree) -> None:
    tree = split_table
    (table,) = only(tree, "Table")
    (body,) = [kid for kid in table.kids if kid.tag == "TBody"]
    tall = body.kids[6]
    assert tall.text(tree.texts).startswith("Row 7")
    assert len(tall.pages()) == 2  # the tall cell was broken over two pages
    assert tall.text(tree.texts).replace(" ", "") == "Row7" + "tall" * 60


def test_every_header_cell_has_a_scope_and_every_header_named_resolves(split_table: Tree) -> None:
    tree = split_table
    cells = only(tree, "TH")
    assert [c.attributes["Scope"] for c in cells] == ["/Column"] * 2 + ["/Row"] * ROWS
    named = [h for cell in only(tree, "TD") for h in cell.attributes["Headers"]]
    assert len(named) == 2 * ROWS  # each value cell: its row's header and its column's
    by_ref = {e.ref: e for e in tree.elements()}
    words = {by_ref[tree.id_tree[h]].text(tree.texts).replace(" ", "") for h in named}
    assert words == {"Value"} | {f"Row{i}" for i in range(1, ROWS + 1)}
    assert sorted(tree.id_tree) == sorted(str(c.identifier) for c in cells)  # every id of the tree, no other


def test_a_contents_line_is_one_link_its_dot_leader_an_artifact(tmp_path: Path) -> None:
    style = ".toc a::after { content: leader('. ') target-counter(attr(href), page); } h2 { break-before: page; }"
    body = '<ol class="toc"><li><a href="#one">First part</a></li></ol><h2 id="one">First part</h2><p>Text.</p>'
    tree = make(tmp_path, "toc", body, style)
    links = only(tree, "Link")
    assert len(links) == 1 and links[0].kids == []
    assert links[0].text(tree.texts) == "First part2"  # its words and the page number, no dots
    assert {a["Contents"] for a in links[0].annotations} == {"First part"}
    assert tree.artifact_text[0].replace(" ", "").startswith("....")
    assert_all_content_in_tree_or_artifact(tree)


def test_names_in_a_script_of_one_language_say_their_language(tmp_path: Path) -> None:
    body = (
        "<p>Health system: <span>Ελληνικό Σύστημα Υγείας</span></p>"  # Greek script: Greek
        "<p>Ελλάδα</p>"
        "<p>Health system: <span>България</span></p>"  # Cyrillic: several languages, left alone
        '<p>Health system: <span lang="bg">Министерство</span></p>'  # said in the HTML
        "<p>Health system: <span>Sakartvelo</span> and <span>საქართველო</span></p>"
    )
    tree = make(tmp_path, "lang", body)
    spoken = {e.text(tree.texts): e.lang for e in tree.elements() if e.lang is not None}
    assert spoken == {
        "Ελληνικό Σύστημα Υγείας": "el",
        "Ελλάδα": "el",
        "Министерство": "bg",
        "საქართველო": "ka",
    }


def test_a_section_list_and_paragraph_cut_by_page_breaks_are_one_element_each(tmp_path: Path) -> None:
    items = "".join(f"<li>Item {i}</li>" for i in range(1, 31))
    words = " ".join(f"word{i}" for i in range(1, 301))
    body = f"<section><h1>Part</h1><ul>{items}</ul><p>{words}</p></section>"
    tree = make(tmp_path, "cut", body, "li { margin: 0 0 3mm; }")
    (section,) = only(tree, "Sect")
    (listing,) = only(tree, "L")
    (paragraph,) = only(tree, "P")
    assert len(listing.pages()) >= 2 and len(paragraph.pages()) >= 2  # each was cut at least once
    assert [kid.tag for kid in section.kids] == ["H1", "L", "P"]
    assert [re.sub(r"\s", "", item.text(tree.texts)) for item in listing.kids] == [f"•Item{i}" for i in range(1, 31)]
    assert re.sub(r"\s", "", paragraph.text(tree.texts)) == "".join(f"word{i}" for i in range(1, 301))
    assert_all_content_in_tree_or_artifact(tree)


def test_a_caption_left_alone_at_the_foot_of_a_page_keeps_its_table_whole(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>Row {i}</td></tr>" for i in range(1, 6))
    body = (
        '<div style="height: 60mm"></div>'
        f"<table><caption>Levels</caption><colgroup><col></colgroup><thead><tr><th>Level</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    tree = make(tmp_path, "caption", body, "td, th { padding: 2mm; }")
    (table,) = only(tree, "Table")
    caption = table.kids[0]
    assert caption.tag == "Caption" and caption.pages() == {0}  # the caption alone on the first page
    assert [kid.tag for kid in table.kids if kid.tag != "NonStruct"] == ["Caption", "THead", "TBody"]
    assert [re.sub(r"\s", "", row.text(tree.texts)) for row in table.kids[-1].kids] == [f"Row{i}" for i in range(1, 6)]
    assert_all_content_in_tree_or_artifact(tree)


def test_the_report_of_a_greek_health_system_says_el_on_its_name_and_its_greek_evidence(
    tiny: Questionnaire, tmp_path: Path
) -> None:
    name, evidence = "Ελληνική Δημοκρατία", "Εθνική στρατηγική για τη γονιδιωματική, 2024"
    answers = {"A.1.1": Answer(level=2, target=4), "B.1.1": Answer(level=3, target=4), "C.1.1": Answer(level=1)}
    notes = {"A.1.1": IndicatorNotes(evidence=(evidence, "National plan, 2024"))}
    context = build_report_context(
        tiny,
        score(tiny, answers),
        RoundInfo(name, "Round 2026", dt.date(2026, 3, 1), "published", "XG"),
        notes=notes,
        generated_on=dt.date(2026, 3, 2),
    )
    path = tmp_path / "greek.pdf"
    path.write_bytes(render_report(context, charts=False).pdf)
    tree = read_tree(path)
    spoken = [(e.tag, e.text(tree.texts), e.lang) for e in tree.elements() if e.lang is not None]
    assert ("H1", name, "el") in spoken  # the cover's title
    assert any(text.endswith(evidence) and lang == "el" for _, text, lang in spoken)  # the item of evidence
    assert {lang for _, _, lang in spoken} == {"el"}
    latin = [text for _, text, _ in spoken if re.search(r"[A-Za-z]", text)]
    assert latin == []  # nothing written in English is said to be Greek
    assert_all_content_in_tree_or_artifact(tree)
