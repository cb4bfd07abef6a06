"""Benchmark: server-side time of one rerun of the Rate page showing all 49 indicators.

Both pages run in Streamlit's AppTest (the real script runner, no browser),
in the same process: the Rate page of a demo round with "All domains"
selected, and beside it a minimal page (a title and one radio).  Prints the
median rerun time of each and the ratio.

Run: ``python -m benchmarks.bench_rate_page [--reruns N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from b1mg_maturity.storage.models import User


def _rate_page() -> None:
    from b1mg_maturity.ui import rate

    rate.render()


def _minimal_page() -> None:
    import streamlit as st

    st.title("Minimal")
    st.radio("Level", [1, 2, 3, 4, 5], key="level")


def _median_rerun(app: AppTest, reruns: int) -> float:
    times = []
    for _ in range(reruns):
        start = time.perf_counter()
        app.run()
        times.append(time.perf_counter() - start)
        assert not app.exception, app.exception
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reruns", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["B1MG_DATABASE_URL"] = url
        from b1mg_maturity.cli.database import OPERATOR_ID, operator_services
        from b1mg_maturity.demo import load_demo

        services = operator_services(url)
        load_demo(services, OPERATOR_ID)
        rounds = services.list_rounds(OPERATOR_ID)
        round_ = next(r for r in rounds if r.health_system.code == "XA" and r.status == "draft")
        with services.db.transaction() as session:
            expert = session.scalars(select(User.id).where(User.username == "demo-expert")).one()

        page = AppTest.from_function(_rate_page, default_timeout=120)
        page.session_state["signed_in_session"] = services.start_session(expert)
        page.query_params["round"] = str(round_.id)
        page.run()
        page.query_params["domain"] = "all"
        page.run()
        shown = len(page.radio) - 1  # minus the domain menu
        assert shown == 49, shown
        rate_seconds = _median_rerun(page, args.reruns)

        minimal = AppTest.from_function(_minimal_page)
        minimal.run()
        minimal_seconds = _median_rerun(minimal, args.reruns)

    print(f"Rate page, all {shown} indicators, one rerun: {rate_seconds * 1e3:8.1f} ms (median of {args.reruns})")
    print(f"minimal Streamlit page, one rerun:        {minimal_seconds * 1e3:8.1f} ms")
    print(f"ratio:                                    {rate_seconds / minimal_seconds:8.1f}x")


if __name__ == "__main__":
    main()
