"""Benchmark: PDF readiness reports of the demo rounds, made by the report worker pool.

Paths recorded (``benchmarks.results.record``: ours beside a baseline measured in the same run):

* **one report on the warm pool**: from ``submit`` to the PDF in hand (its context sent to a warm
  worker, nine charts by the worker's kept kaleido page, the HTML, WeasyPrint), against
  **WeasyPrint alone** laying out the very same final HTML (charts already inline) with the same
  options, in this process.  The goal (issue 15, goal 3) is a ratio within 2.
* **a batch of reports on the pool** (all submitted at once, one worker a core) against **the same
  reports one after another** in this process (its own warm kaleido browser).
* **a report served from the cache** (the same context submitted again) against **making it** on
  the warm pool.
* **a chart** drawn by our kept kaleido page (plotly.js loaded once a tab) against **stock
  kaleido**, whose page (and so plotly.js) is reloaded after every chart; both browsers warm.

Also printed: how long the pool takes to start and warm its workers (what the server's warm-up
spends at start, so that nobody waits for it), and the pages of a report.

Run: ``python -m benchmarks.bench_report [--batch N] [--workers N]`` (demo data is loaded into a
temporary SQLite database; Chromium must be installed).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from concurrent.futures import wait
from pathlib import Path

from pypdf import PdfReader

from b1mg_maturity.cli.database import operator_services
from b1mg_maturity.demo import load_demo
from b1mg_maturity.report.cache import ReportCache
from b1mg_maturity.report.context import ReportContext
from b1mg_maturity.report.figures import ChartServer, stop_chart_server
from b1mg_maturity.report.jobs import ReportJobs
from b1mg_maturity.report.render import html_to_pdf, render_report, report_charts
from b1mg_maturity.report.rounds import context_for_round, report_date
from b1mg_maturity.services import OPERATOR_ID
from benchmarks.results import record


def contexts_of_demo(folder: Path, count: int) -> list[ReportContext]:
    services = operator_services(f"sqlite:///{folder / 'bench.sqlite3'}")
    started = time.perf_counter()
    load_demo(services, OPERATOR_ID)
    print(f"demo data loaded in {time.perf_counter() - started:.1f} s")
    published = [r for r in services.list_rounds(OPERATOR_ID) if r.status == "published"]
    chosen = (published * (1 + count // max(len(published), 1)))[:count]
    if len(chosen) > len(published):
        print(f"only {len(published)} published rounds: some reports are made twice (cache off for them)")
    contexts = [
        context_for_round(
            services,
            OPERATOR_ID,
            view.id,
            min_group_size=services.settings.min_group_size,
            generated_on=report_date(view),
        )
        for view in chosen
    ]
    services.db.dispose()
    return contexts


def timed_pool(jobs: ReportJobs, contexts: list[ReportContext]) -> float:
    started = time.perf_counter()
    futures = [jobs.submit(context) for context in contexts]
    wait(futures)
    for future in futures:
        future.result()  # raise what failed
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=12, help="reports in the batch (default 12)")
    parser.add_argument("--singles", type=int, default=3, help="single reports timed against WeasyPrint (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes in the pool (default 2)")
    parser.add_argument("--chart-reports", type=int, default=2, help="reports whose charts are timed (default 2)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        contexts = contexts_of_demo(folder, args.singles + args.batch)
        singles, batch = contexts[: args.singles], contexts[args.singles :]
        jobs = ReportJobs(ReportCache(folder / "cache", 1 << 30), workers=args.workers)
        try:
            started = time.perf_counter()
            pids = jobs.wait_until_warm()
            print(f"pool of {len(pids)} workers started and warm in {time.perf_counter() - started:.1f} s")

            # one report on the warm pool, against WeasyPrint alone on the same HTML (this process), in
            # alternating rounds (each a round of its own, so none is served from the cache): a shared
            # machine's load then weighs on both alike
            pool_one, weasy = [], []
            for context in singles:
                pool_one.append(timed_pool(jobs, [context]))
                local = render_report(context)  # the same HTML (this process's browser starts at the first)
                started = time.perf_counter()
                html_to_pdf(local.html)
                weasy.append(time.perf_counter() - started)
            single = singles[0]
            record(
                f"pdf: one report, warm pool (median of {len(singles)})",
                statistics.median(pool_one),
                statistics.median(weasy),
                baseline_name="WeasyPrint alone on the same HTML",
            )

            # served from the cache, against making it
            started = time.perf_counter()
            served = jobs.submit(single).result()
            cached = time.perf_counter() - started
            assert served.from_cache
            record(
                "pdf: a report served from the cache",
                cached,
                pool_one[0],
                baseline_name="making it on the warm pool",
            )

            # a batch: all at once on the pool, against one after another in this process
            pool_batch = timed_pool(jobs, batch)
            results = []
            started = time.perf_counter()
            for context in batch:
                results.append(render_report(context))
            serial = time.perf_counter() - started
            record(
                f"pdf: batch of {len(batch)} reports, pool of {args.workers}",
                pool_batch,
                serial,
                baseline_name="the same reports one after another",
            )
        finally:
            jobs.shutdown()

        # charts: stock kaleido (page reloaded per chart) against our kept page, both warm, same figures
        sample = batch[: args.chart_reports]
        stock = ChartServer(keep_page=False)
        try:
            report_charts(sample[0], stock)  # its browser's start is not timed
            started = time.perf_counter()
            exported = sum(len(report_charts(context, stock)) for context in sample)
            stock_chart = (time.perf_counter() - started) / exported
        finally:
            stock.stop()
        started = time.perf_counter()
        exported = sum(len(report_charts(context)) for context in sample)
        kept_chart = (time.perf_counter() - started) / exported
        record("pdf: one chart, kept kaleido page", kept_chart, stock_chart, baseline_name="stock kaleido")
        stop_chart_server()

    pages = statistics.mean(len(PdfReader(io.BytesIO(r.pdf)).pages) for r in results)
    inside = statistics.mean(r.timings["pdf"] for r in results)
    charts = statistics.mean(r.timings["charts"] for r in results)
    print(f"a report in this process: charts {charts:.2f} s, WeasyPrint {inside:.2f} s; {pages:.1f} pages")


if __name__ == "__main__":
    main()
