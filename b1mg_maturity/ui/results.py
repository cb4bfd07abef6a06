"""Results: a round's scores, radar chart, gaps and next steps, the table of all indicators, downloads.

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
from concurrent.futures import Future
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from b1mg_maturity.charts import describe, domain_radar
from b1mg_maturity.domain import EDITABLE_STATUSES, RoundStatus
from b1mg_maturity.interchange.answers_file import answers_csv_bytes, answers_xlsx_bytes
from b1mg_maturity.report.context import ReportContext, Score
from b1mg_maturity.report.files import report_file_name
from b1mg_maturity.report.jobs import PreparedReport, report_jobs
from b1mg_maturity.report.model import count
from b1mg_maturity.report.rounds import context_for_round, report_date
from b1mg_maturity.services import RoundView, Services, UserView
from b1mg_maturity.services.round_transfer import export_round, round_json
from b1mg_maturity.ui.context import app_services, current_user, selected_round_id
from b1mg_maturity.ui.feedback import announce, attempt, escape_markdown, show_error
from b1mg_maturity.ui.widgets import headline_metrics, round_picker, score_text

log = logging.getLogger("b1mg_maturity.ui")

TOP_GAPS = 5


def render() -> None:
    services = app_services()
    user = current_user()
    if user is None:
        return
    st.title("Results")
    rounds = attempt(lambda: services.list_rounds(user.id))
    if rounds is None:
        return
    round_ = round_picker(rounds, key="results-round")
    if round_ is None:
        if not rounds and selected_round_id() is None:
            st.info(
                "There are no results you may see yet. Results appear here for the rounds you take part in, "
                "and for your health system's rounds once they are submitted.",
                icon=":material/info:",
            )
        return
    context = attempt(
        lambda: context_for_round(
            services,
            user.id,
            round_.id,
            min_group_size=services.settings.min_group_size,
            generated_on=report_date(round_),
        )
    )
    if context is None:
        return
    st.caption(f"{status_note(context.round.status)} Scores are based on {context.basis_summary}.")
    _headline(context)
    if context.overall.score is None:
        st.info("Nothing is rated in this round yet: scores, chart and gaps appear once it is.", icon=":material/info:")
    else:
        _brief(context)
        _chart_and_groups(context)
        _top_gaps(context)
    _indicator_table(context)
    _downloads(services, user, round_, context)


def status_note(status: str) -> str:
    """What the round's status means for its results."""
    label = f"Status **{RoundStatus.label_of(status)}**"
    if status in EDITABLE_STATUSES:
        return f"{label}: the results are provisional and change until the round is submitted."
    if status == RoundStatus.SUBMITTED:
        return f"{label}: the round is locked; an administrator publishes it."
    return f"{label}."


# --- scores ------------------------------------------------------------------------------------


def _headline(context: ReportContext) -> None:
    if context.partial_note:
        st.warning(escape_markdown(context.partial_note), icon=":material/warning:")
    headline_metrics(context.questionnaire, context.card, level_text="Partial" if context.partial else None)
    cov = context.overall.coverage
    st.caption(
        f"{cov.answered} of {cov.applicable} applicable indicators answered, {cov.not_applicable} not applicable, "
        f"{cov.unanswered} still open."
    )


def _brief(context: ReportContext) -> None:
    """The report's brief: where the round stands against its peers, what changed, what to do next."""
    standing_col, change_col = st.columns(2, gap="large")
    with standing_col:
        st.subheader("Against peers")
        if context.standing is not None:
            st.markdown(escape_markdown(context.standing.sentence))
        elif context.partial and context.benchmark is not None:
            st.markdown("No rank is given to a partial assessment.")
        else:
            st.markdown("No rank yet: too few other health systems have a published round to compare with.")
        if context.benchmark is not None:
            st.caption(escape_markdown(context.benchmark.sentence))
    with change_col:
        st.subheader("Since the previous round")
        change = context.change
        if change is None:
            st.markdown("This is the first submitted or published round: there is nothing earlier to compare with.")
        else:
            st.markdown(escape_markdown(change.sentence))
            if change.switched:
                with st.expander(
                    f"{count(len(change.switched), 'indicator')} moved between not applicable and a level"
                ):
                    st.markdown("\n".join(f"- {escape_markdown(s.sentence)}" for s in change.switched))
    if context.recommendations:
        st.subheader("Recommendations")
        number = 0
        for theme, recommendations in context.recommendation_groups:
            lines = []
            for rec in recommendations:
                number += 1
                lines.append(f"{number}. {escape_markdown(rec.text)}")
            st.markdown(f"**{escape_markdown(theme)}**\n\n" + "\n".join(lines))


def level_text(score: Score) -> str:
    return "—" if score.band is None else f"{score.band} · {score.band_label}"


def _group_rows(groups: tuple[Score, ...], name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                name: group.name,
                "Score": group.score,
                "Level": level_text(group),
                "Target": group.target,
                "Gap": group.gap,
                "Coverage": round(100 * group.coverage.ratio),
                "Answered": f"{group.coverage.answered} of {group.coverage.applicable}",
            }
            for group in groups
        ]
    )


GROUP_COLUMNS = {
    "Score": st.column_config.NumberColumn(format="%.2f"),
    "Level": st.column_config.TextColumn(help="The highest level fully reached: the score rounded down"),
    "Target": st.column_config.NumberColumn(
        format="%.2f", help="Where no target is set, the current level counts; none when the group has no target"
    ),
    "Gap": st.column_config.NumberColumn(format="%.2f", help="Target minus score"),
    "Coverage": st.column_config.ProgressColumn(
        format="%d%%", min_value=0, max_value=100, help="Answered of the applicable indicators"
    ),
    "Answered": st.column_config.TextColumn(help="Answered of the applicable indicators"),
}


def _chart_and_groups(context: ReportContext) -> None:
    chart_col, groups_col = st.columns([5, 3], gap="large")
    benchmark = context.benchmark
    with chart_col:
        st.subheader("Domains")
        fig = domain_radar(
            context.card,
            context.questionnaire,
            benchmark=benchmark.medians if benchmark is not None else None,
            benchmark_label=benchmark.name if benchmark is not None else "Median of peers",
        )
        st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt=describe(fig))
        if benchmark is None:
            st.caption(
                "The median of other health systems appears here once published rounds of enough other health "
                "systems exist."
            )
        elif benchmark.withheld:
            names = ", ".join(context.domain(d).title for d in benchmark.withheld)
            st.caption(f"Too few other health systems scored {escape_markdown(names)}: no median is shown there.")
        with st.expander("Chart as text"):
            st.write(describe(fig))
    with groups_col:
        st.subheader("Pillars")
        for pillar in context.pillars:
            cov = pillar.coverage
            target = f" · target {pillar.target:.2f}" if pillar.target is not None else ""
            st.metric(
                pillar.name,
                score_text(pillar.score),
                delta=f"{level_text(pillar)}{target} · {cov.answered}/{cov.applicable} answered",
                delta_color="off",
                delta_arrow="off",
                border=True,
                help=f"Score: the {context.aggregation.value} of the pillar's domain scores. Below it: its maturity "
                "level (the score rounded down), its target, and how many applicable indicators are answered.",
            )
    st.subheader("Domain scores")
    st.dataframe(
        _group_rows(tuple(d.score for d in context.domains), "Domain"),
        hide_index=True,
        placeholder="—",
        column_config={"Domain": st.column_config.TextColumn(width="large"), **GROUP_COLUMNS},
    )
    st.caption("A dash: nothing rated in the domain yet, or no target set for it.")


def _top_gaps(context: ReportContext) -> None:
    st.subheader("Largest gaps and next steps")
    gaps = context.gaps
    if not gaps:
        st.caption("No gaps: no indicator has a target above its current level.")
        return
    for item in gaps[:TOP_GAPS]:
        row = item.row
        with st.container(border=True):
            st.markdown(
                f"**{item.rank}. {row.indicator_id}** · {escape_markdown(row.statement)}  \n"
                f"Level {row.level} → target {row.target} (gap {item.gap}) · {escape_markdown(row.domain_title)}"
            )
            if item.next_step:
                st.markdown(
                    f":material/trending_up: **Next step (level {item.next_level}):** {escape_markdown(item.next_step)}"
                )
    if len(gaps) > TOP_GAPS:
        st.caption(f"{len(gaps) - TOP_GAPS} more indicators below their target: see the table below.")


def _indicator_table(context: ReportContext) -> None:
    st.subheader("All indicators")
    st.caption("A dash: no target set (so no gap), or no next step (the level is the highest, or not rated).")
    rows = [
        {
            "Indicator": row.indicator_id,
            "Statement": row.statement,
            "Level": row.level_text[:1].upper() + row.level_text[1:],
            "Target": row.target,
            "Gap": row.gap,
            "Next step": row.next_step or None,
            "Basis": row.basis_label,
        }
        for row in context.rows
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        height=460,
        placeholder="—",
        column_config={
            "Indicator": st.column_config.TextColumn(width="small"),
            "Statement": st.column_config.TextColumn(width="large"),
            "Level": st.column_config.TextColumn(width="medium"),
            "Target": st.column_config.NumberColumn(format="%d", width="small"),
            "Gap": st.column_config.NumberColumn(format="%d", width="small"),
            "Next step": st.column_config.TextColumn(width="large", help="The description of the next level up"),
            "Basis": st.column_config.TextColumn(
                help="Where the level comes from: the recorded consensus, or the median of the experts' levels"
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


def _downloads(services: Services, user: UserView, round_: RoundView, context: ReportContext) -> None:
    st.subheader("Downloads")
    stem = _file_stem(round_)

    def answers_csv() -> bytes:
        questionnaire, answers, _ = services.round_answers(user.id, round_.id)
        return answers_csv_bytes(questionnaire, answers)

    def answers_xlsx() -> bytes:
        questionnaire, answers, _ = services.round_answers(user.id, round_.id)
        return answers_xlsx_bytes(questionnaire, answers)

    columns = st.columns(4)
    columns[0].download_button(
        "Answers (CSV)",
        data=answers_csv,
        file_name=f"{stem}-answers.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"results-csv-{round_.id}",
        on_click="ignore",
        help="One row per indicator: level (consensus, else experts' median), target, rationale.",
    )
    columns[1].download_button(
        "Answers (XLSX)",
        data=answers_xlsx,
        file_name=f"{stem}-answers.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"results-xlsx-{round_.id}",
        on_click="ignore",
    )
    if may_export(user, round_):
        columns[2].download_button(
            "Round (JSON)",
            data=lambda: round_json(export_round(services, user.id, round_.id)).encode("utf-8"),
            file_name=f"{stem}.json",
            mime="application/json",
            icon=":material/download:",
            key=f"results-json-{round_.id}",
            on_click="ignore",
            help="The whole round, every expert's own ratings included, for archiving or moving it to "
            "another installation.",
        )
    with columns[3]:
        _pdf_report(services, context)


# --- the PDF report: made by a worker process, never inside this page's run ----------------------

PDF_POLL_SECONDS = 1.0
_PDF_JOBS = "results-pdf-jobs"  # per session: round id -> the job making its report


@dataclass(frozen=True)
class _PdfJob:
    key: str  # the report's cache key: everything it shows
    future: Future[PreparedReport]
    started: float  # time.monotonic() when asked for


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
            "Report (PDF)",
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
                "The PDF report is ready: the button Report (PDF) downloads it.",
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
        "Prepare the PDF report",
        key=f"results-pdf-prepare-{round_id}",
        icon=":material/picture_as_pdf:",
        on_click=_start_pdf,
        args=(services, context, key),
        help="The report is made in the background: you can keep working, here or on another page, "
        "and download it when it is ready.",
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
        f"Preparing the report… this takes about half a minute ({elapsed} s so far). You can keep working, "
        "here or on another page: it will be ready here when you come back.",
        icon=":material/hourglass_top:",
    )
    announce("Preparing the PDF report…", key=f"pdf-{round_id}")
