"""Benchmark: PDF readiness reports of the demo rounds.

Ours, the full pipeline per report: the report context from the database
(permission checks, scores, notes, previous round, peer medians), the nine
charts exported as SVG by the one persistent kaleido browser, the Jinja2 HTML
and the tagged PDF/UA by WeasyPrint.  Measured for one report (the first,
including the browser's start) and for a batch of 12 after it.

Baseline, in the same run: WeasyPrint alone rendering the very same final
HTML (charts already inline) to PDF with the same options.  The ratio says
what the pipeline adds on top of the unavoidable typesetting.

Charts, in the same run: the charts of the first reports of the batch
exported again by a second browser that behaves as stock kaleido 1.x (its
page, and so plotly.js, reloaded after every chart), against our kept page
(plotly.js loaded once per tab).  Both browsers are warm when timed.

Run: ``python -m benchmarks.bench_report [--batch N]`` (demo data is loaded
into a temporary SQLite database; Chromium must be installed).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from pypdf import PdfReader

from b1mg_maturity.cli.database import operator_services
from b1mg_maturity.demo import load_demo
from b1mg_maturity.report.figures import ChartServer, chart_server, stop_chart_server
from b1mg_maturity.report.render import html_to_pdf, render_report, report_charts
from b1mg_maturity.report.rounds import context_for_round
from b1mg_maturity.services import OPERATOR_ID


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=12, help="reports in the batch (default 12)")
    parser.add_argument(
        "--chart-reports", type=int, default=3, help="reports whose charts are timed against stock kaleido (default 3)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        services = operator_services(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        started = time.perf_counter()
        load_demo(services, OPERATOR_ID)
        print(f"demo data loaded in {time.perf_counter() - started:.1f} s")
        rounds = services.list_rounds(OPERATOR_ID)
        published = [r for r in rounds if r.status == "published"]
        chosen = (published * (1 + args.batch // max(len(published), 1)))[: args.batch + 1]

        # one full report, cold: the chart browser starts here
        stop_chart_server()
        started = time.perf_counter()
        first = render_report(
            context_for_round(services, OPERATOR_ID, chosen[0].id, min_group_size=services.settings.min_group_size)
        )
        single = time.perf_counter() - started

        # a batch of reports: one browser for all of them
        results = []
        contexts = []
        started = time.perf_counter()
        for view in chosen[1:]:
            contexts.append(
                context_for_round(services, OPERATOR_ID, view.id, min_group_size=services.settings.min_group_size)
            )
            results.append(render_report(contexts[-1]))
        batch = time.perf_counter() - started

        # charts: stock kaleido (page reloaded per chart) against our kept page, both warm, same figures
        sample = contexts[: args.chart_reports]
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

        # baseline: WeasyPrint alone on the same final HTML
        weasy = []
        for result in results:
            started = time.perf_counter()
            html_to_pdf(result.html)
            weasy.append(time.perf_counter() - started)
        services.db.dispose()

    pages = statistics.mean(len(PdfReader(io.BytesIO(r.pdf)).pages) for r in results)
    per_report = batch / len(results)
    charts = statistics.mean(r.timings["charts"] for r in results)
    pdf = statistics.mean(r.timings["pdf"] for r in results)
    baseline = statistics.mean(weasy)
    print(f"one full report (cold, browser start included): {single:6.2f} s  ({len(first.pdf) / 1024:.0f} KiB)")
    print(f"batch of {len(results)} reports:                      {batch:6.2f} s  ({per_report:.2f} s a report)")
    print(f"  of which charts (kaleido SVG, 9 a report):   {charts:6.2f} s a report")
    print(f"  of which WeasyPrint inside the pipeline:     {pdf:6.2f} s a report")
    print(f"baseline, WeasyPrint alone on the same HTML:   {baseline:6.2f} s a report")
    print(f"ratio full pipeline / WeasyPrint alone:        {per_report / baseline:6.2f}")
    print(f"a chart, stock kaleido (plotly.js reloaded per chart): {stock_chart:6.3f} s")
    print(f"a chart, ours (page kept, plotly.js loaded once a tab): {kept_chart:6.3f} s")
    print(f"ratio a chart ours / stock kaleido:                     {kept_chart / stock_chart:6.3f}")
    print(f"browsers started for {1 + len(results)} reports: {chart_server().starts}")
    print(f"pages a report (mean): {pages:.1f}")
    stop_chart_server()


if __name__ == "__main__":
    main()
