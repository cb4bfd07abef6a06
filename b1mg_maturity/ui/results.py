"""Results: a round's scores, radar chart, gaps and next steps, the team's action plan and what it did since the
last round, the table of all indicators, downloads.

The page renders the round's report context (:func:`b1mg_maturity.report.rounds.context_for_round`,
read in one snapshot): the numbers, level texts, gaps and basis shown here are
the PDF's, and the PDF offered for download is made from the same context, by
a report worker process (:mod:`b1mg_maturity.report.jobs`) while the page stays
usable, or served at once from the report cache.
Any user who may open the round sees it; the round JSON (with every expert's
own ratings) is offered only to its coordinator and administrators.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.charts import describe, domain_radar
from b1mg_maturity.domain import EDITABLE_STATUSES, RoundStatus
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.interchange.answers_file import answers_csv_bytes, answers_xlsx_bytes
from b1mg_maturity.report.context import PlanSection, PlanSince, ReportContext, Score
from b1mg_maturity.report.files import report_file_name
from b1mg_maturity.report.jobs import PreparedReport, report_jobs
from b1mg_maturity.report.rounds import context_for_round, report_date
from b1mg_maturity.scoring import Aggregation
from b1mg_maturity.services import RoundView, Services, UserView
from b1mg_maturity.services.round_transfer import export_round, round_json
from b1mg_maturity.ui import translation_notice
from b1mg_maturity.ui.context import app_services, current_user, selected_round_id
from b1mg_maturity.ui.feedback import announce, attempt, escape_markdown, guidance_line, show_error
from b1mg_maturity.ui.widgets import (
    coverage_sentence,
    decimal_column,
    decimals,
    headline_metrics,
    round_picker,
    score_text,
)

if TYPE_CHECKING:
    from streamlit.elements.lib.column_types import ColumnConfig

log = logging.getLogger("b1mg_maturity.ui")

TOP_GAPS = 5


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title(_("Results"))
    rounds = attempt(lambda: services.list_rounds(user.id))
    if rounds is None:
        return
    round_ = round_picker(rounds, key="results-round")
    if round_ is None:
        if not rounds and selected_round_id() is None:
            st.info(
                _(
                    "There are no results you may see yet. Results appear here for the rounds you take part in, "
                    "and for your health system's rounds once they are submitted."
                ),
                icon=":material/info:",
            )
        return

    def context_in(language: str) -> ReportContext | None:
        """The round's report context, its texts in ``language`` (the page's, or the PDF's when another)."""
        with i18n.language(language):
            return attempt(
                lambda: context_for_round(
                    services,
                    user.id,
                    round_.id,
                    min_group_size=services.settings.min_group_size,
                    generated_on=report_date(round_),
                )
            )

    context = context_in(i18n.current())
    if context is None:
        return
    translation_notice.show(context.questionnaire)
    st.caption(
        _(
            "{status} Scores are based on {basis}.",
            status=status_note(context.round.status),
            basis=context.basis_summary,
        )
    )
    _headline(context)
    if context.overall.score is None:
        st.info(
            _("Nothing is rated in this round yet: scores, chart and gaps appear once it is."), icon=":material/info:"
        )
    else:
        _brief(context)
        _chart_and_groups(context)
        _top_gaps(context)
    if context.plan is not None:
        _plan(context.plan, context.since)
    _indicator_table(context)
    _downloads(services, user, round_, context, context_in)


def status_note(status: str) -> str:
    """What the round's status means for its results."""
    label = RoundStatus.label_of(status)
    if status in EDITABLE_STATUSES:
        return _(
            "Status **{status}**: the results are provisional and change until the round is submitted.", status=label
        )
    if status == RoundStatus.SUBMITTED:
        return _("Status **{status}**: the round is locked; an administrator publishes it.", status=label)
    return _("Status **{status}**.", status=label)


# --- scores ------------------------------------------------------------------------------------


def _headline(context: ReportContext) -> None:
    if context.partial_note:
        st.warning(escape_markdown(context.partial_note), icon=":material/warning:")
    headline_metrics(context.questionnaire, context.card, level_text=_("Partial") if context.partial else None)
    st.caption(coverage_sentence(context.overall.coverage))


def _brief(context: ReportContext) -> None:
    """The report's brief: where the round stands against its peers, what changed, what to do next."""
    standing_col, change_col = st.columns(2, gap="large")
    with standing_col:
        st.subheader(_("Against peers"))
        if context.standing is not None:
            st.markdown(escape_markdown(context.standing.sentence))
        elif context.partial and context.benchmark is not None:
            st.markdown(_("No rank is given to a partial assessment."))
        else:
            st.markdown(_("No rank yet: too few other health systems have a published round to compare with."))
        if context.benchmark is not None:
            st.caption(escape_markdown(context.benchmark.sentence))
    with change_col:
        st.subheader(_("Since the previous round"))
        change = context.change
        if change is None:
            st.markdown(_("This is the first submitted or published round: there is nothing earlier to compare with."))
        else:
            st.markdown(escape_markdown(change.sentence))
            if change.switched:
                with st.expander(
                    _n(
                        "{n} indicator moved between not applicable and a level",
                        "{n} indicators moved between not applicable and a level",
                        len(change.switched),
                    )
                ):
                    st.markdown("\n".join(f"- {escape_markdown(s.sentence)}" for s in change.switched))
    if context.recommendations:
        st.subheader(_("Recommendations"))
        number = 0
        for theme, recommendations in context.recommendation_groups:
            lines = []
            for rec in recommendations:
                number += 1
                lines.append(f"{number}. {escape_markdown(rec.text)}")
            st.markdown(f"**{escape_markdown(theme)}**\n\n" + "\n".join(lines))


def level_text(score: Score) -> str:
    return "—" if score.band is None else f"{score.band} · {score.band_label}"


# The tables' column names, as people read them (translated where a table is made).
SCORE, LEVEL, TARGET, GAP, COVERAGE, ANSWERED = (
    N_("Score"),
    N_("Level"),
    N_("Target"),
    N_("Gap"),
    N_("Coverage"),
    N_("Answered"),
)
INDICATOR, STATEMENT, NEXT_STEP, BASIS, DOMAIN = (
    N_("Indicator"),
    N_("Statement"),
    N_("Next step"),
    N_("Basis"),
    N_("Domain"),
)


def _group_rows(groups: tuple[Score, ...], name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                name: group.name,
                _(SCORE): group.score,
                _(LEVEL): level_text(group),
                _(TARGET): group.target,
                _(GAP): group.gap,
                _(COVERAGE): round(100 * group.coverage.ratio),
                _(ANSWERED): _(
                    "{answered} of {applicable}",
                    answered=i18n.integer(group.coverage.answered),
                    applicable=i18n.integer(group.coverage.applicable),
                ),
            }
            for group in groups
        ]
    )


def group_columns() -> dict[str, ColumnConfig]:
    """The score tables' column settings, keyed by the columns' names in the current language."""
    return {
        _(SCORE): decimal_column(),
        _(LEVEL): st.column_config.TextColumn(help=_("The highest level fully reached: the score rounded down")),
        _(TARGET): decimal_column(
            help=_("Where no target is set, the current level counts; none when the group has no target"),
        ),
        _(GAP): decimal_column(help=_("Target minus score")),
        _(COVERAGE): st.column_config.ProgressColumn(
            format="%d%%", min_value=0, max_value=100, help=_("Answered of the applicable indicators")
        ),
        _(ANSWERED): st.column_config.TextColumn(help=_("Answered of the applicable indicators")),
    }


_PILLAR_HELP = {
    Aggregation.MEAN: N_(
        "Score: the mean of the pillar's domain scores. Below it: its maturity level (the score rounded down), "
        "its target, and how many applicable indicators are answered."
    ),
    Aggregation.MEDIAN: N_(
        "Score: the median of the pillar's domain scores. Below it: its maturity level (the score rounded down), "
        "its target, and how many applicable indicators are answered."
    ),
    Aggregation.MINIMUM: N_(
        "Score: the minimum of the pillar's domain scores. Below it: its maturity level (the score rounded down), "
        "its target, and how many applicable indicators are answered."
    ),
}


def _pillar_delta(pillar: Score) -> str:
    """Below a pillar's score: its level, its target (if any) and its coverage."""
    cov = pillar.coverage
    if pillar.target is None:
        return _(
            "{level} · {answered}/{applicable} answered",
            level=level_text(pillar),
            answered=i18n.integer(cov.answered),
            applicable=i18n.integer(cov.applicable),
        )
    return _(
        "{level} · target {target} · {answered}/{applicable} answered",
        level=level_text(pillar),
        target=i18n.number(pillar.target, 2),
        answered=i18n.integer(cov.answered),
        applicable=i18n.integer(cov.applicable),
    )


def _chart_and_groups(context: ReportContext) -> None:
    chart_col, groups_col = st.columns([5, 3], gap="large")
    benchmark = context.benchmark
    with chart_col:
        st.subheader(_("Domains"))
        fig = domain_radar(
            context.card,
            context.questionnaire,
            benchmark=benchmark.medians if benchmark is not None else None,
            benchmark_label=benchmark.name if benchmark is not None else _("Median of peers"),
        )
        st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt=describe(fig))
        if benchmark is None:
            st.caption(
                _(
                    "The median of other health systems appears here once published rounds of enough other health "
                    "systems exist."
                )
            )
        elif benchmark.withheld:
            names = ", ".join(context.domain(d).title for d in benchmark.withheld)
            st.caption(
                _(
                    "Too few other health systems scored {domains}: no median is shown there.",
                    domains=escape_markdown(names),
                )
            )
        with st.expander(_("Chart as text")):
            st.write(describe(fig))
    with groups_col:
        st.subheader(_("Pillars"))
        for pillar in context.pillars:
            st.metric(
                pillar.name,
                score_text(pillar.score),
                delta=_pillar_delta(pillar),
                delta_color="off",
                delta_arrow="off",
                border=True,
                help=_(_PILLAR_HELP[Aggregation(context.aggregation)]),
            )
    st.subheader(_("Domain scores"))
    st.dataframe(
        decimals(
            _group_rows(tuple(d.score for d in context.domains), _(DOMAIN)), {_(SCORE): 2, _(TARGET): 2, _(GAP): 2}
        ),
        hide_index=True,
        placeholder="—",
        column_config={_(DOMAIN): st.column_config.TextColumn(width="large"), **group_columns()},
    )
    st.caption(_("A dash: nothing rated in the domain yet, or no target set for it."))


def _top_gaps(context: ReportContext) -> None:
    st.subheader(_("Largest gaps and next steps"))
    gaps = context.gaps
    if not gaps:
        st.caption(_("No gaps: no indicator has a target above its current level."))
        return
    for item in gaps[:TOP_GAPS]:
        row = item.row
        with st.container(border=True):
            st.markdown(
                f"**{item.rank}. {row.indicator_id}** · {escape_markdown(row.statement)}  \n"
                + _(
                    "Level {level} → target {target} (gap {gap}) · {domain}",
                    level=row.level,
                    target=row.target,
                    gap=item.gap,
                    domain=escape_markdown(row.domain_title),
                )
            )
            if item.next_step:
                st.markdown(
                    ":material/trending_up: "
                    + _(
                        "**Next step (level {level}):** {step}",
                        level=item.next_level,
                        step=escape_markdown(item.next_step),
                    )
                )
            if item.resources:
                st.markdown(guidance_line(item.resources))
    if len(gaps) > TOP_GAPS:
        st.caption(
            _n(
                "{n} more indicator below its target: see the table below.",
                "{n} more indicators below their target: see the table below.",
                len(gaps) - TOP_GAPS,
            )
        )


# The plan's column names, as people read them (translated where the table is made).
ACTION, SERVES, STATUS, OWNER, DUE, REACHED, DONE_ON, BEFORE, NOW, CHANGE = (
    N_("Action"),
    N_("Serves"),
    N_("Status"),
    N_("Owner"),
    N_("Due"),
    N_("Aim reached in this round"),
    N_("Done on"),
    N_("Before"),
    N_("Now"),
    N_("Change"),
)


def _plan(plan: PlanSection, since: PlanSince | None) -> None:
    """The team's own plan, by pillar, and what it did since the last round: the PDF's section, from its context."""
    st.subheader(_("Action plan"))
    st.caption(escape_markdown(plan.sentence))
    if not plan.items:
        return
    for pillar in plan.pillars:
        st.markdown(f"**{escape_markdown(pillar.name)}**")
        rows = []
        for item in pillar.items:
            row = {
                _(ACTION): item.title,
                _(SERVES): item.serves,
                _(STATUS): item.status_label,
                _(OWNER): item.owner or None,
                _(DUE): item.due_text if item.due is not None else None,
            }
            if plan.judged:
                row[_(REACHED)] = item.outcome_text if item.outcome is not None else None
            rows.append(row)
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            placeholder="—",
            column_config={
                _(ACTION): st.column_config.TextColumn(width=240),
                _(SERVES): st.column_config.TextColumn(width=200),
                _(STATUS): st.column_config.TextColumn(width=90),
                _(OWNER): st.column_config.TextColumn(width=130),
                _(DUE): st.column_config.TextColumn(
                    width=150, help=_("An open action past its due date is marked overdue")
                ),
                _(REACHED): st.column_config.TextColumn(
                    width=130,
                    help=_(
                        "Whether this round's levels reach every level the action aims at (actions started before it)"
                    ),
                ),
            },
        )
    if since is None:
        return
    st.markdown("#### " + _("Since the last round"))
    st.markdown(escape_markdown(since.sentence))
    if since.done:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        _(ACTION): item.title,
                        _(OWNER): item.owner or None,
                        _(DONE_ON): i18n.date(item.done_on) if item.done_on else None,
                    }
                    for item in since.done
                ]
            ),
            hide_index=True,
            placeholder="—",
            column_config={_(ACTION): st.column_config.TextColumn(width="large")},
        )
    if since.moved:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        _(INDICATOR): move.name,
                        _(BEFORE): move.before_text,
                        _(NOW): move.after_text,
                        _(CHANGE): move.delta_text,
                    }
                    for move in since.moved
                ]
            ),
            hide_index=True,
            column_config={_(INDICATOR): st.column_config.TextColumn(width="large")},
        )


def _indicator_table(context: ReportContext) -> None:
    st.subheader(_("All indicators"))
    st.caption(_("A dash: no target set (so no gap), or no next step (the level is the highest, or not rated)."))
    rows = [
        {
            _(INDICATOR): row.indicator_id,
            _(STATEMENT): row.statement,
            _(LEVEL): row.level_text[:1].upper() + row.level_text[1:],
            _(TARGET): row.target,
            _(GAP): row.gap,
            _(NEXT_STEP): row.next_step or None,
            _(BASIS): row.basis_label,
        }
        for row in context.rows
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        height=460,
        placeholder="—",
        column_config={
            _(INDICATOR): st.column_config.TextColumn(width="small"),
            _(STATEMENT): st.column_config.TextColumn(width="large"),
            _(LEVEL): st.column_config.TextColumn(width="medium"),
            _(TARGET): st.column_config.NumberColumn(format="%d", width="small"),
            _(GAP): st.column_config.NumberColumn(format="%d", width="small"),
            _(NEXT_STEP): st.column_config.TextColumn(width="large", help=_("The description of the next level up")),
            _(BASIS): st.column_config.TextColumn(
                help=_("Where the level comes from: the recorded consensus, or the median of the experts' levels")
            ),
        },
    )


# --- downloads ---------------------------------------------------------------------------------


def _file_stem(round_: RoundView) -> str:
    label = re.sub(r"[^A-Za-z0-9]+", "-", round_.label).strip("-").lower() or f"round-{round_.id}"
    return f"{round_.health_system.code.lower()}-{label}"


def may_export(user: UserView, round_: RoundView) -> bool:
    """The round JSON holds every expert's own ratings: for the round's coordinator and administrators."""
    return bool(attempt(lambda: app_services().capabilities(user.id, round_.id).may_export))


def _downloads(
    services: Services,
    user: UserView,
    round_: RoundView,
    context: ReportContext,
    context_in: Callable[[str], ReportContext | None],
) -> None:
    st.subheader(_("Downloads"))
    stem = _file_stem(round_)

    def answers_csv() -> bytes:
        questionnaire, answers, _unused = services.round_answers(user.id, round_.id)
        return answers_csv_bytes(questionnaire, answers)

    def answers_xlsx() -> bytes:
        questionnaire, answers, _unused = services.round_answers(user.id, round_.id)
        return answers_xlsx_bytes(questionnaire, answers)

    columns = st.columns(4)
    columns[0].download_button(
        _("Answers (CSV)"),
        data=answers_csv,
        file_name=f"{stem}-answers.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"results-csv-{round_.id}",
        on_click="ignore",
        help=_("One row per indicator: level (consensus, else experts' median), target, rationale."),
    )
    columns[1].download_button(
        _("Answers (XLSX)"),
        data=answers_xlsx,
        file_name=f"{stem}-answers.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"results-xlsx-{round_.id}",
        on_click="ignore",
    )
    if may_export(user, round_):
        columns[2].download_button(
            _("Round (JSON)"),
            data=lambda: round_json(export_round(services, user.id, round_.id)).encode("utf-8"),
            file_name=f"{stem}.json",
            mime="application/json",
            icon=":material/download:",
            key=f"results-json-{round_.id}",
            on_click="ignore",
            help=_(
                "The whole round, every expert's own ratings included, for archiving or moving it to "
                "another installation."
            ),
        )
    with columns[3]:
        report_context = _report_language(context, context_in)
        if report_context is not None:
            _pdf_report(services, report_context)


# --- the PDF report: made by a worker process, never inside this page's run ----------------------

PDF_POLL_SECONDS = 1.0
_PDF_JOBS = "results-pdf-jobs"  # per session: round id -> the job making its report


@dataclass(frozen=True)
class _PdfJob:
    key: str  # the report's cache key: everything it shows
    future: Future[PreparedReport]
    started: float  # time.monotonic() when asked for


def _report_language(context: ReportContext, context_in: Callable[[str], ReportContext | None]) -> ReportContext | None:
    """The language of the PDF (the page's unless chosen otherwise), and the report's context in it."""
    codes = [choice.code for choice in i18n.choices()]
    page_language = context.language if context.language in codes else i18n.DEFAULT_LANGUAGE
    chosen = st.selectbox(
        _("Language of the PDF report"),
        codes,
        index=codes.index(page_language),
        format_func=i18n.language_name,
        key=f"results-pdf-language-{context.round.round_id}-{page_language}",
    )
    if chosen == context.language:
        return context
    return context_in(str(chosen))


def _pdf_jobs() -> dict[int | None, _PdfJob]:
    jobs: dict[int | None, _PdfJob] = st.session_state.setdefault(_PDF_JOBS, {})
    return jobs


def _pdf_report(services: Services, context: ReportContext) -> None:
    """The PDF of the context this page shows: at once when made already (the cache, or this session's job),
    else a button that has it made by a worker while the person goes on working; a message until it is ready."""
    jobs = report_jobs(services.settings)
    round_id = context.round.round_id
    key = jobs.key(context)
    job = _pdf_jobs().get(round_id)
    if job is not None and job.key != key:
        job = None  # made from what the page showed before (a rating changed since): not this report
    data = jobs.cached(key)
    if data is None and job is not None and job.future.done() and job.future.exception() is None:
        data = job.future.result().pdf  # made, though the cache could not keep it
    if data is not None:
        st.download_button(
            _("Report (PDF)"),
            data=data,
            file_name=report_file_name(context),
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key=f"results-pdf-{round_id}",
            on_click="ignore",
            type="primary",
        )
        if job is not None:  # made on this person's request: say so, and give the download the focus
            announce(
                _("The PDF report is ready: the button Report (PDF) downloads it."),
                key=f"pdf-{round_id}",
                focus=f".st-key-results-pdf-{round_id} button",
            )
        return
    if job is not None and not job.future.done():
        _pdf_progress(round_id)
        return
    if job is not None and (failure := job.future.exception()) is not None:
        show_error(failure)  # plain words: the worker's errors are ReportFailed
    st.button(
        _("Prepare the PDF report"),
        key=f"results-pdf-prepare-{round_id}",
        icon=":material/picture_as_pdf:",
        on_click=_start_pdf,
        args=(services, context, key),
        help=_(
            "The report is made in the background: you can keep working, here or on another page, "
            "and download it when it is ready."
        ),
    )


def _start_pdf(services: Services, context: ReportContext, key: str) -> None:
    """The button's callback: runs before the page's rerun, so that the rerun already shows the progress."""
    future = report_jobs(services.settings).submit(context)
    _pdf_jobs()[context.round.round_id] = _PdfJob(key, future, time.monotonic())


@st.fragment(run_every=PDF_POLL_SECONDS)
def _pdf_progress(round_id: int | None) -> None:
    """Reruns alone every second while the report is made; when it is ready, the whole page shows the download."""
    job = _pdf_jobs().get(round_id)
    if job is None or job.future.done():
        st.rerun()
    assert job is not None
    elapsed = int(time.monotonic() - job.started)
    st.info(
        _(
            "Preparing the report… this takes about half a minute ({seconds} s so far). You can keep working, "
            "here or on another page: it will be ready here when you come back.",
            seconds=i18n.integer(elapsed),
        ),
        icon=":material/hourglass_top:",
    )
    announce(_("Preparing the PDF report…"), key=f"pdf-{round_id}")
