"""The team's action plan and "since the last round" in the report context, and in the PDF made from it.

A hand-made round of the tiny questionnaire (dated 1 March 2026, printed 2 March 2026) and a hand-made plan;
every expectation below is worked out by hand from them.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from b1mg_maturity.domain import ActionStatus
from b1mg_maturity.planning import Aim, AimState, PlanAction
from b1mg_maturity.questionnaire import Questionnaire, load_questionnaire
from b1mg_maturity.report.context import (
    PlanReport,
    PreviousRound,
    ReportContext,
    RoundInfo,
    build_report_context,
)
from b1mg_maturity.report.render import render_html, render_report
from b1mg_maturity.scoring import Answer, score
from tests.pdf_tree import read_tree

ROUND = RoundInfo("Testland", "Round 2026", dt.date(2026, 3, 1), "published", "XT", 7)
PRINTED = dt.date(2026, 3, 2)
ANSWERS = {
    "A.1.1": Answer(level=2, target=4),
    "A.1.2": Answer(level=3, target=4),
    "A.2.1": Answer(not_applicable=True),
    "B.1.1": Answer(level=4, target=5),
    "C.1.1": Answer(level=1, target=3),
    "C.1.2": Answer(level=5),
}
BEFORE = {  # the previous round: A.1.1 rose from 1 to 2 since; the others the plan serves stayed put
    "A.1.1": Answer(level=1),
    "A.1.2": Answer(level=2),
    "B.1.1": Answer(level=4),
    "C.1.1": Answer(level=1),
    "C.1.2": Answer(level=5),
}


def action(
    id: int,
    title: str,
    aims: tuple[tuple[str, int], ...],
    status: ActionStatus,
    *,
    start: dt.date | None = None,
    due: dt.date | None = None,
    owner_name: str = "",
    owner_username: str | None = None,
    done_on: dt.date | None = None,
) -> PlanAction:
    return PlanAction(
        id=id,
        health_system_id=7,
        title=title,
        aims=tuple(Aim(i, level) for i, level in aims),
        description="",
        owner_name=owner_name,
        owner_username=owner_username,
        start=start,
        due=due,
        status=status,
        drop_reason="given up" if status == ActionStatus.DROPPED else "",
        notes="",
        done_on=done_on,
        version=1,
    )


ACTIONS = (
    # started before the round, due before the report's date, still open: overdue, and A.1.1 is at 2 (< 3)
    action(
        1,
        "Board",
        (("A.1.1", 3),),
        ActionStatus.IN_PROGRESS,
        start=dt.date(2025, 6, 1),
        due=dt.date(2026, 1, 31),
        owner_name="Ann",
    ),
    # done after the previous round: past its due date but not overdue; C.1.2 is at 5 (>= 4), reached
    action(
        2,
        "Counselling",
        (("C.1.2", 4),),
        ActionStatus.DONE,
        start=dt.date(2025, 5, 1),
        due=dt.date(2025, 8, 31),
        owner_username="coord",
        done_on=dt.date(2025, 9, 10),
    ),
    # started after the round: not judged by it
    action(
        3,
        "Later <b>bold</b> & co",
        (("B.1.1", 5),),
        ActionStatus.PLANNED,
        start=dt.date(2026, 4, 1),
        due=dt.date(2026, 12, 31),
    ),
    action(4, "Dropped one", (("A.1.2", 4),), ActionStatus.DROPPED, start=dt.date(2025, 6, 1)),
    action(5, "Proposal", (("C.1.1", 3),), ActionStatus.PROPOSED),  # no start: not judged; no date: not overdue
    # an indicator the questionnaire does not know: under "Other indicators", judged not rated
    action(6, "Unknown", (("Z.9.9", 2),), ActionStatus.PLANNED, start=dt.date(2025, 1, 1)),
)
PLAN = PlanReport(ACTIONS, {"coord": "Cora Ordinator"})


def build(tiny: Questionnaire, plan: PlanReport | None = PLAN, **kwargs: object) -> ReportContext:
    previous = PreviousRound("Round 2025", dt.date(2025, 3, 1), score(tiny, BEFORE))
    return build_report_context(
        tiny,
        score(tiny, ANSWERS),
        ROUND,
        previous=previous,
        generated_on=PRINTED,
        plan=plan,
        **kwargs,  # type: ignore[arg-type]
    )


def test_actions_are_grouped_by_pillar_in_questionnaire_order_dropped_ones_counted(tiny: Questionnaire) -> None:
    plan = build(tiny).plan
    assert plan is not None
    assert [(p.pillar_id, p.name, [i.id for i in p.items]) for p in plan.pillars] == [
        ("elsi", "ELSI", [2, 5]),
        ("healthcare", "Healthcare", [1, 3]),
        (None, "Other indicators", [6]),
    ]
    assert plan.dropped == 1 and plan.judged
    assert plan.sentence == (
        "The plan has 5 actions: 4 open, 1 of them overdue, and 1 done. 1 dropped action is not listed."
    )


def test_each_action_shows_status_owner_due_overdue_and_whether_this_round_reached_its_aim(
    tiny: Questionnaire,
) -> None:
    plan = build(tiny).plan
    assert plan is not None
    items = {item.id: item for item in plan.items}
    shown = {
        i: (item.status_label, item.owner_text, item.due_text, item.overdue, item.outcome, item.outcome_text)
        for i, item in items.items()
    }
    assert shown == {
        1: ("In progress", "Ann", "31 January 2026, overdue", True, AimState.NOT_YET, "not yet"),
        2: ("Done", "Cora Ordinator", "31 August 2025", False, AimState.REACHED, "reached"),
        3: ("Planned", "–", "31 December 2026", False, None, "–"),
        5: ("Proposed", "–", "–", False, None, "–"),
        6: ("Planned", "–", "–", False, AimState.NOT_RATED, "not rated"),
    }
    assert items[1].serves == "Alpha one to level 3"
    assert items[6].serves == "Z.9.9 to level 2"


def test_since_the_last_round_lists_the_actions_done_and_the_levels_that_moved(tiny: Questionnaire) -> None:
    since = build(tiny).since
    assert since is not None
    assert (since.previous_label, since.previous_date) == ("Round 2025", dt.date(2025, 3, 1))
    assert [item.title for item in since.done] == ["Counselling"]
    assert [(m.indicator_id, m.name, m.before_text, m.after_text, m.delta_text) for m in since.moved] == [
        ("A.1.1", "Alpha one", "1", "2", "+1")
    ]
    # C.1.2, B.1.1 and C.1.1 stayed; A.1.2 is served only by the dropped action; Z.9.9 is rated in neither round
    assert since.unchanged == 3
    assert since.sentence == (
        "Since Round 2025 (1 March 2025), 1 action of the plan was marked done. 1 indicator the plan serves "
        "changed level, and 3 stayed at the same level."
    )


def test_the_planned_and_in_progress_actions_come_first_among_the_recommendations(tiny: Questionnaire) -> None:
    context = build(tiny)
    texts = [rec.text for rec in context.recommendations]
    assert texts[:2] == [
        "Carry through the planned action “Board”, led by Ann: it was due on 31 January 2026 and is overdue.",
        "Carry through the planned action “Later <b>bold</b> & co”, due on 31 December 2026.",
    ]
    assert "Carry through the planned action “Unknown”." in texts
    assert not any("Proposal" in t or "Counselling" in t for t in texts)  # a proposal, a done action
    # the planned actions' indicators (A.1.1, B.1.1) are not recommended again from the gaps: the two largest
    # other gaps follow (C.1.1, gap 2; A.1.2, gap 1), grouped by theme in the order the themes first came
    assert [theme for theme, _ in context.recommendation_groups] == ["Healthcare", "Other indicators", "ELSI"]
    served = [[row.indicator_id for row in rec.indicators] for rec in context.recommendations]
    assert served == [["A.1.1"], ["B.1.1"], ["A.1.2"], [], ["C.1.1"]]


def test_a_reader_who_may_not_see_the_plan_gets_neither_section_nor_planned_recommendations(
    tiny: Questionnaire,
) -> None:
    context = build(tiny, plan=None)
    assert context.plan is None and context.since is None
    assert not any("planned action" in rec.text for rec in context.recommendations)
    assert "The action plan" not in [s.heading for s in context.methodology]


def test_an_empty_plan_is_one_sentence_and_no_since(tiny: Questionnaire) -> None:
    context = build(tiny, plan=PlanReport())
    assert context.plan is not None and context.plan.items == ()
    assert context.plan.sentence == "The health system has no action plan yet."
    assert context.since is None
    html = render_html(context)
    assert "The health system has no action plan yet." in html
    assert 'id="team-plan"' not in html and 'id="since"' not in html


def squash(text: str) -> str:
    return "".join(text.split())


def with_resources(tiny_path: Path, tmp_path: Path) -> Questionnaire:
    text = tiny_path.read_text(encoding="utf-8").replace(
        "            levels: {1: a1, 2: a2, 3: a3, 4: a4, 5: a5}\n",
        "            levels: {1: a1, 2: a2, 3: a3, 4: a4, 5: a5}\n"
        "            resources:\n"
        '              - {title: "Guide <i>one</i>", url: "https://example.org/guide"}\n',
        1,
    )
    path = tmp_path / "tiny-resources.yaml"
    path.write_text(text, encoding="utf-8")
    return load_questionnaire(path)


def test_the_pdf_shows_plan_since_and_resources_as_tagged_tables_and_links(tmp_path: Path) -> None:
    from tests.conftest import FIXTURES

    questionnaire = with_resources(FIXTURES / "tiny.yaml", tmp_path)
    context = build(questionnaire)
    gap = next(item for item in context.gaps if item.row.indicator_id == "A.1.1")
    assert [(r.title, r.url) for r in gap.resources] == [("Guide <i>one</i>", "https://example.org/guide")]
    rendered = render_report(context, charts=False)
    html = rendered.html
    # user text and the questionnaire's titles are escaped, never markup
    assert "Later &lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<b>bold</b>" not in html
    assert '<a href="https://example.org/guide">Guide &lt;i&gt;one&lt;/i&gt;</a>' in html
    assert re.search(r"<h1[^>]*>Gaps and next steps</h1>", html)
    assert re.search(r"<h1[^>]*>Action plan</h1>", html)
    path = tmp_path / "plan.pdf"
    path.write_bytes(rendered.pdf)
    tree = read_tree(path)
    # read back without white space: a line break inside a cell is no space in the text of the tree
    texts = [(e.tag, squash(e.text(tree.texts))) for e in tree.elements()]
    assert ("TD", squash("31 January 2026, overdue")) in texts  # a data cell of the plan's table
    assert ("TH", squash("Aim reached in this round")) in texts  # the plan's head
    assert ("TH", squash("Done on")) in texts  # since the last round: the actions done
    assert ("Caption", squash("Levels of the plan's indicators that moved")) in texts
    headers = [e for e in tree.elements() if e.tag == "TH" and squash(e.text(tree.texts)) in ("Owner", "Due")]
    assert len(headers) == 3 * 2 + 1  # Owner and Due of three pillars' tables; Owner of the actions done
    assert all(e.attributes.get("Scope") == "/Column" for e in headers)
    rows = [e for e in tree.elements() if e.tag == "TH" and squash(e.text(tree.texts)).startswith("Board")]
    assert [e.attributes.get("Scope") for e in rows] == ["/Row"]
    links = [a["Contents"] for e in tree.elements() if e.tag == "Link" for a in e.annotations]
    assert "Guide <i>one</i>" in links  # the link is described by its title, as printed
