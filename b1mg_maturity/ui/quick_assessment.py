"""The quick assessment: rate the bundled questionnaire, see the scores, take the answers and the PDF away.

Nothing is stored on the server: the answers live in this browser tab's
widgets only (no use case is called, nothing reaches the database), and the
PDF made for them is removed from the report cache as soon as it is handed
over.  A visitor keeps the answers by downloading the answers file (the
format the app imports: :mod:`b1mg_maturity.interchange.answers_file`).
Every number shown comes from :func:`~b1mg_maturity.scoring.score`; the PDF
from the report machinery, as ``b1mg-maturity report -a`` makes it from a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from b1mg_maturity import i18n
from b1mg_maturity.charts import describe, domain_radar
from b1mg_maturity.domain import RoundStatus
from b1mg_maturity.i18n import N_, _, _n
from b1mg_maturity.interchange.answers_file import answers_csv_bytes, answers_xlsx_bytes
from b1mg_maturity.questionnaire import Indicator, Questionnaire, load_bundled
from b1mg_maturity.questionnaire.translation import localized
from b1mg_maturity.report.context import build_report_context
from b1mg_maturity.report.files import report_file_name
from b1mg_maturity.report.inputs import RoundInfo
from b1mg_maturity.report.jobs import PreparedReport, report_jobs
from b1mg_maturity.report.model import ReportContext
from b1mg_maturity.scoring import Answer, GroupScore, ScoreCard, score
from b1mg_maturity.settings import get_settings  # a visitor has no services: the setting is read here, at the edge
from b1mg_maturity.ui import translation_notice
from b1mg_maturity.ui.context import current_user
from b1mg_maturity.ui.feedback import show_error
from b1mg_maturity.ui.widgets import (
    band_text,
    coverage_sentence,
    decimal_column,
    decimals,
    headline_metrics,
    score_text,
)

NOT_ANSWERED = "not-answered"
NOT_APPLICABLE = "not-applicable"
NO_TARGET = "no-target"  # not None: a selectbox shows None as "nothing chosen yet"
Choice = str | int


LOADING = N_("Loading the questionnaire…")


def bundled_questionnaire() -> Questionnaire:
    """The bundled MLM questionnaire in the user's language where it is translated, loaded once per server
    process (a spinner in the user's language while the first run loads it)."""
    with st.spinner(_(LOADING)):
        return localized(_bundled_questionnaire())


@st.cache_resource(show_spinner=False)
def _bundled_questionnaire() -> Questionnaire:
    return load_bundled()


def level_key(indicator_id: str) -> str:
    return f"quick-level-{indicator_id}"


def target_key(indicator_id: str) -> str:
    return f"quick-target-{indicator_id}"


NAME_KEY = "quick-system-name"
ANSWERS_NAME = "quick-assessment-answers"


def render() -> None:
    questionnaire = bundled_questionnaire()
    st.title(_("Quick assessment"))
    st.caption(questionnaire.title)
    translation_notice.show(questionnaire)
    signed_in = current_user() is not None
    keep = (
        _("To work on it with your team, saved and shared, open a round under *My assessments* and import the file.")
        if signed_in
        else _(
            "To run a real assessment round with your team, saved and shared, sign in "
            "(your administrator gives you an account) and import the file there."
        )
    )
    st.info(
        _(
            "**Nothing you enter here is kept on the server.** Your ratings stay in this browser tab only, and are "
            "gone when you reload it, close it or open another page. To keep them, download the answers file "
            "(CSV or Excel) below the results. {keep}",
            keep=keep,
        ),
        icon=":material/info:",
    )
    st.text_input(
        _("Health system (optional)"),
        max_chars=120,
        key=NAME_KEY,
        placeholder=_("for example: Norway"),
        help=_("Shown on the PDF report. Not stored."),
    )
    results = st.container()

    st.header(_("Rate the indicators"), divider="gray")
    st.markdown(
        _(
            "For each indicator choose the level that best describes your health system today, "
            "*Not applicable* if it does not apply, and optionally the level you aim for."
        )
    )
    answers: dict[str, Answer] = {}
    for domain in questionnaire.domains:
        with st.expander(f"**{domain.title}**", key=f"quick-domain-{domain.id}"):
            if domain.description:
                st.caption(domain.description)
            for sub in domain.subdomains:
                st.markdown(f"##### {sub.name}")
                for indicator in sub.indicators:
                    answer = _indicator_input(questionnaire, indicator)
                    if answer is not None:
                        answers[indicator.id] = answer

    card = score(questionnaire, answers)
    with results:
        _results(questionnaire, card)
        _downloads(questionnaire, answers, card)
    with st.sidebar:
        _summary(questionnaire, card)


def _level_text(questionnaire: Questionnaire, level: int) -> str:
    return f"{level} · {questionnaire.level_label(level)}"


def _indicator_input(questionnaire: Questionnaire, indicator: Indicator) -> Answer | None:
    """Show one indicator's widgets; its answer, or None while nothing is chosen."""
    options: list[Choice] = [NOT_ANSWERED, NOT_APPLICABLE, *indicator.levels]
    labels: Mapping[Choice, str] = {
        NOT_ANSWERED: _("Not answered"),
        NOT_APPLICABLE: _("Not applicable"),
        **{level: _level_text(questionnaire, level) for level in indicator.levels},
    }
    with st.container(border=True):
        rating, aim = st.columns([4, 1], gap="medium")
        with rating:
            choice = st.radio(
                f"**{indicator.id}** · {indicator.statement}",
                options,
                format_func=lambda option: labels[option],
                captions=["", "", *indicator.levels.values()],
                key=level_key(indicator.id),
                help=indicator.guidance,
            )
        rated = isinstance(choice, int)
        targets: list[Choice] = [NO_TARGET, *indicator.levels]
        with aim:
            target = st.selectbox(
                _("Target level"),
                targets,
                format_func=lambda option: (
                    _("No target") if option == NO_TARGET else _level_text(questionnaire, option)
                ),
                key=target_key(indicator.id),
                disabled=not rated,
                help=_("The level you aim for. Choose a current level first."),
            )
    if isinstance(choice, int):
        return Answer(level=choice, target=target if isinstance(target, int) else None)
    if choice == NOT_APPLICABLE:
        return Answer(not_applicable=True)
    return None


def _coverage_text(group: GroupScore) -> str:
    cov = group.coverage
    return _("{answered} of {applicable}", answered=i18n.integer(cov.answered), applicable=i18n.integer(cov.applicable))


def _results(questionnaire: Questionnaire, card: ScoreCard) -> None:
    overall = card.overall
    st.header(_("Results"), divider="gray")
    headline_metrics(questionnaire, card)
    st.caption(coverage_sentence(overall.coverage))
    if overall.score is None:
        st.info(_("Rate at least one indicator below to see the domain chart and scores."), icon=":material/bar_chart:")
        return

    fig = domain_radar(card, questionnaire)
    st.plotly_chart(fig, theme=None, config={"displaylogo": False}, alt=_("Radar chart of the domain scores"))
    with st.expander(_("Chart as text")):
        st.write(describe(fig))
    st.dataframe(
        decimals(_domain_table(questionnaire, card), {_(SCORE): 2, _(TARGET): 2}),
        hide_index=True,
        placeholder="—",
        column_config={
            _(DOMAIN): st.column_config.TextColumn(width="large", help=_("Roman code and name of the domain")),
            _(SCORE): decimal_column(),
            _(BAND): st.column_config.TextColumn(help=_("Maturity level fully reached: the score rounded down")),
            _(TARGET): decimal_column(help=_("Where no target is set, the current level")),
            _(ANSWERED): st.column_config.TextColumn(help=_("Answered of the applicable indicators in the domain")),
            _(COVERAGE): st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100),
        },
        alt=_("Domain scores, bands, targets and coverage"),
    )
    st.caption(_("A dash: nothing rated in that domain yet."))


# The domain table's column names, as people read them (translated where the table is made).
DOMAIN, SCORE, BAND, TARGET, ANSWERED, COVERAGE = (
    N_("Domain"),
    N_("Score"),
    N_("Band"),
    N_("Target"),
    N_("Answered"),
    N_("Coverage"),
)


def _domain_table(questionnaire: Questionnaire, card: ScoreCard) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                _(DOMAIN): group.name,
                _(SCORE): group.score,
                _(BAND): band_text(questionnaire, group),
                _(TARGET): group.target,
                _(ANSWERED): _coverage_text(group),
                _(COVERAGE): round(100 * group.coverage.ratio),
            }
            for group in card.domains
        ]
    )


def _summary(questionnaire: Questionnaire, card: ScoreCard) -> None:
    overall = card.overall
    st.markdown(_("**Your quick assessment**"))
    st.markdown(
        _("Overall score: **{score}**", score=score_text(overall.score))
        + "  \n"
        + _("Band: **{band}**", band=band_text(questionnaire, overall))
    )
    st.progress(
        overall.coverage.ratio,
        text=_n(
            "{answered} of {n} applicable indicator answered",
            "{answered} of {n} applicable indicators answered",
            overall.coverage.applicable,
            answered=i18n.integer(overall.coverage.answered),
        ),
    )
    st.caption(_("Not kept on the server: download the answers file to keep them."))


# --- downloads: the answers file and the PDF, made from what is on screen, never stored --------------


def _downloads(questionnaire: Questionnaire, answers: Mapping[str, Answer], card: ScoreCard) -> None:
    st.subheader(_("Take your answers with you"))
    st.caption(
        _(
            "The answers file has one row per indicator (level, target); a round imports it as it is. "
            "The PDF is the readiness report of these answers."
        )
    )
    columns = st.columns(3)
    columns[0].download_button(
        _("Answers (CSV)"),
        data=answers_csv_bytes(questionnaire, answers),
        file_name=f"{ANSWERS_NAME}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="quick-csv",
        on_click="ignore",
    )
    columns[1].download_button(
        _("Answers (Excel)"),
        data=lambda: answers_xlsx_bytes(questionnaire, answers),  # made when clicked: it takes a moment
        file_name=f"{ANSWERS_NAME}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="quick-xlsx",
        on_click="ignore",
    )
    with columns[2]:
        name = str(st.session_state.get(NAME_KEY) or "")
        _pdf(report_context(questionnaire, answers, card, name, get_settings().report_min_coverage))


def report_context(
    questionnaire: Questionnaire,
    answers: Mapping[str, Answer],
    card: ScoreCard,
    system_name: str,
    min_coverage: float,
) -> ReportContext:
    """The readiness report of a quick assessment, as ``b1mg-maturity report -a`` makes one from a file."""
    today = dt.date.today()
    return build_report_context(
        questionnaire,
        card,
        RoundInfo(
            health_system_name=system_name.strip() or _("Your health system"),
            label=_("Quick assessment"),
            date=today,
            status=RoundStatus.DRAFT.value,
        ),
        basis_summary=_("the levels chosen in a quick assessment (one person's view, not a team's consensus)"),
        basis={iid: _("quick assessment") for iid, a in answers.items() if a.answered or a.not_applicable},
        generated_on=today,
        min_coverage=min_coverage,
    )


PDF_POLL_SECONDS = 1.0
_PDF_JOB = "quick-pdf-job"


@dataclass(frozen=True)
class _PdfJob:
    key: str  # the report's digest: everything it shows
    future: Future[PreparedReport]
    started: float
    pdf: bytes | None = None  # once handed over: kept in this session only


def _pdf(context: ReportContext) -> None:
    """The PDF of what the page shows: made by a report worker while the page stays usable; once made,
    kept in this browser session and removed from the server's report cache."""
    jobs = report_jobs()
    key = jobs.key(context)
    job: _PdfJob | None = st.session_state.get(_PDF_JOB)
    if job is not None and job.key != key:
        job = None  # made for answers changed since
    if job is not None and job.pdf is None and job.future.done() and job.future.exception() is None:
        job = _PdfJob(key, job.future, job.started, job.future.result().pdf)
        st.session_state[_PDF_JOB] = job
        with contextlib.suppress(OSError, ValueError):  # nothing of a visitor's is kept on the server
            jobs.cache.path(key).unlink(missing_ok=True)
    if job is not None and job.pdf is not None:
        st.download_button(
            _("Report (PDF)"),
            data=job.pdf,
            file_name=report_file_name(context),
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            key="quick-pdf",
            on_click="ignore",
            type="primary",
        )
        return
    if job is not None and not job.future.done():
        _pdf_progress()
        return
    if job is not None and (failure := job.future.exception()) is not None:
        show_error(failure)
    st.button(
        _("Prepare the PDF report"),
        key="quick-pdf-prepare",
        icon=":material/picture_as_pdf:",
        on_click=_start_pdf,
        args=(context, key),
        help=_(
            "Made in the background from the answers on screen: keep rating meanwhile if you like "
            "(a change asks for a new report)."
        ),
    )


def _start_pdf(context: ReportContext, key: str) -> None:
    st.session_state[_PDF_JOB] = _PdfJob(key, report_jobs().submit(context), time.monotonic())


@st.fragment(run_every=PDF_POLL_SECONDS)
def _pdf_progress() -> None:
    """Reruns alone every second while the report is made; when it is ready, the whole page shows the download."""
    job: _PdfJob | None = st.session_state.get(_PDF_JOB)
    if job is None or job.future.done():
        st.rerun()
    assert job is not None
    st.info(
        _(
            "Preparing the report… about half a minute ({seconds} s so far).",
            seconds=i18n.integer(int(time.monotonic() - job.started)),
        ),
        icon=":material/hourglass_top:",
    )
