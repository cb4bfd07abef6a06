"""The compare and overview pages in AppTest over the demo database: what each role's page and its
downloads reveal, that the address reproduces a view, and that a group under the threshold reveals
no statistic.

The demo world: 14 health systems XA..XN; demo-viewer, demo-coordinator and
demo-expert belong to XA.  Downloads are captured where Streamlit stores them
(its in-memory media storage), so the bytes checked are the bytes a browser gets.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from b1mg_maturity.demo import SYSTEM_NAMES
from b1mg_maturity.settings import get_settings
from tests.apptest import app_database, copy_sqlite, open_app
from tests.apptest import walk as _walk

CODES = [f"X{chr(ord('A') + i)}" for i in range(len(SYSTEM_NAMES))]
OTHERS = [f"{code} ·" for code in CODES[1:]] + [f"{name} (demo)" for name in SYSTEM_NAMES[1:]]
MEMBERS_OF_XA = ["demo-viewer", "demo-coordinator", "demo-expert"]
VIEWS = ["radar", "heatmap", "indicators", "distribution", "trends", "gaps"]


@pytest.fixture(scope="module")
def demo_url(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with app_database():
        yield copy_sqlite(demo_database, tmp_path_factory.mktemp("compare"))


def open_page(url: str, username: str, query: dict[str, str] | None = None, page: str = "compare") -> AppTest:
    return open_app(url, username, page, query=query)


def page_texts(at: AppTest) -> list[str]:
    """What the page shows: text elements, tables, chart specifications, widget options."""
    texts: list[str] = []
    for node in _walk(at.main):
        proto = getattr(node, "proto", None)
        for attribute in ("body", "label", "spec", "placeholder"):
            value = getattr(proto, attribute, None)
            if isinstance(value, str):
                texts.append(value)
        options = getattr(proto, "options", None)
        if options is not None:
            texts.extend(str(o) for o in options)
        if getattr(node, "type", None) in ("arrow_data_frame", "dataframe"):
            table = node.value
            texts.extend(str(c) for c in table.columns)
            texts.extend(str(v) for v in table.to_numpy().ravel())
    return texts


def file_texts(files: dict[str, bytes]) -> list[str]:
    texts = []
    for name, data in files.items():
        if name.endswith(".csv"):
            texts.append(data.decode("utf-8-sig"))
        elif name.endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            texts.extend(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    return texts


def leaks(texts: list[str]) -> list[str]:
    return [f"{secret!r} in {text[:100]!r}" for text in texts for secret in OTHERS if secret in text]


def dataframes(at: AppTest) -> list[Any]:
    return [node.value for node in _walk(at.main) if getattr(node, "type", None) in ("arrow_data_frame", "dataframe")]


# --- per role ------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", VIEWS)
def test_analyst_sees_every_system_by_name_in_page_and_downloads(
    demo_url: str, downloads: dict[str, bytes], view: str
) -> None:
    at = open_page(demo_url, "demo-analyst", {"view": view, "systems": "XA,XB,XN"})
    texts = page_texts(at)
    assert any("XN · Norvessa (demo)" in t for t in texts)
    assert f"b1mg-compare-{view}.csv" in downloads and f"b1mg-compare-{view}.xlsx" in downloads
    table = "points" if view == "distribution" else view  # the distribution's values per system
    csv = downloads[f"b1mg-compare-{table}.csv"].decode("utf-8-sig")
    assert "XN · Norvessa (demo)" in csv
    if view == "heatmap":
        assert all(f"{code} ·" in csv for code in CODES)  # every published system, by name


@pytest.mark.parametrize("username", MEMBERS_OF_XA)
@pytest.mark.parametrize("view", VIEWS)
def test_members_see_only_their_own_system_and_anonymous_figures(
    demo_url: str, downloads: dict[str, bytes], username: str, view: str
) -> None:
    # asking for other systems, a hand-picked group and a prefix in the address changes nothing
    query = {"view": view, "systems": "XB,XC,XA", "group": "list", "members": "XB,XC", "region": "XB"}
    at = open_page(demo_url, username, query)
    assert leaks(page_texts(at)) == []
    assert downloads, "the page offers its tables for download"
    assert leaks(file_texts(downloads)) == []
    assert at.query_params.get("systems") in ("XA", None)  # the address now says what is shown
    assert "group" not in at.query_params and "members" not in at.query_params
    if view == "heatmap":
        rows = dataframes(at)[0]["Health system"].tolist()
        assert rows == ["XA · Aldoria (demo)", "Median (13 other health systems)", "Highest (13 other health systems)"]


def test_a_group_under_the_threshold_reveals_no_statistic(
    demo_url: str, downloads: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B1MG_MIN_GROUP_SIZE", "14")  # XA's peers are 13
    try:
        for view in VIEWS:
            downloads.clear()
            at = open_page(demo_url, "demo-viewer", {"view": view})
            assert leaks(page_texts(at) + file_texts(downloads)) == []
            # no row of a statistic in any table or download, no statistic's trace in any chart
            for table in dataframes(at):
                assert not table.iloc[:, 0].astype(str).str.startswith(("Median", "Highest")).any(), view
            for name, data in downloads.items():
                if name.endswith(".csv"):
                    lines = data.decode("utf-8-sig").splitlines()[1:]
                    assert not any(line.startswith(("Median", "Highest", '"Median')) for line in lines), name
            specs = [n.proto.spec for n in _walk(at.main) if getattr(n, "type", None) == "plotly_chart"]
            assert not any('"name":"Median' in spec or '"name":"Highest' in spec for spec in specs), view
            assert any("Statistics are withheld" in w.value for w in at.warning), view
            for table in dataframes(at):
                for column in ("Median", "Highest", "Lowest", "To median", "Upper quartile"):
                    if column in table.columns:
                        assert table[column].isna().all(), (view, column)
    finally:
        get_settings.cache_clear()


def test_an_analysts_group_of_two_shows_no_statistic(demo_url: str, downloads: dict[str, bytes]) -> None:
    at = open_page(demo_url, "demo-analyst", {"view": "distribution", "group": "list", "members": "XA,XB"})
    assert any("Statistics are withheld" in w.value for w in at.warning)
    table = dataframes(at)[0]
    assert table["Median"].isna().all() and set(table["Withheld"]) == {"fewer than 3 health systems"}
    csv = downloads["b1mg-compare-distribution.csv"].decode("utf-8-sig")
    assert "fewer than 3 health systems" in csv


# --- the address ---------------------------------------------------------------------------------


def test_the_address_reproduces_the_view(demo_url: str) -> None:
    query = {"view": "heatmap", "systems": "XD,XB", "sort": "overall", "pillar": "healthcare", "rounds": "label"}
    query["label"] = "Round 2025"
    at = open_page(demo_url, "demo-analyst", query)
    assert at.multiselect(key="cmp_systems").value == ["XD", "XB"]
    assert at.selectbox(key="cmp_sort").value == "overall"
    assert at.selectbox(key="cmp_pillar").value == "healthcare"
    assert at.selectbox(key="cmp_rounds").value == "label"
    assert at.selectbox(key="cmp_label").value == "Round 2025"
    table = dataframes(at)[0]
    assert "III · Ethics, legislation and policy" not in table.columns  # an elsi domain
    scores = table.loc[
        ~table["Health system"].str.startswith(("Median", "Highest")), "Healthcare organisation"
    ].tolist()
    assert scores == sorted(scores, reverse=True)
    for key, value in query.items():
        assert at.query_params[key] == value


def test_changing_a_filter_rewrites_the_address(demo_url: str) -> None:
    at = open_page(demo_url, "demo-analyst", {"view": "radar"})
    at.multiselect(key="cmp_systems").set_value(["XK", "XE"]).run()
    assert not at.exception
    assert at.query_params["systems"] == "XK,XE"
    radar = dataframes(at)[0]
    assert list(radar.columns[1:3]) == ["XK · Kestramark (demo)", "XE · Elvandia (demo)"]
    at.selectbox(key="cmp_rounds").set_value("dates").run()
    assert at.query_params["rounds"] == "dates" and "from" in at.query_params


# --- the overview --------------------------------------------------------------------------------


def test_overview_for_analysts(demo_url: str, downloads: dict[str, bytes]) -> None:
    at = open_page(demo_url, "demo-analyst", page="overview")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Health systems registered"] == "14"
    assert metrics["Health systems assessed"] == "14"
    assert "Rounds in progress" not in metrics  # analysts read published rounds only
    table = dataframes(at)[0].set_index("Round")
    # one row per period; the demo's one half-year round (XF) is a period of its own, too small for figures
    assert table.index.tolist() == ["Round 2024", "Round 2025", "Round 2025 H1", "Round 2026"]
    assert table.loc["Round 2025 H1", "Health systems assessed"] == 1
    assert table.loc["Round 2025 H1", "Withheld"] == "fewer than 3 health systems"
    assert pd.isna(table.loc["Round 2025 H1", "Median overall score"])
    assert all(0 < share <= 100 for share in table["Share of registered systems"])  # a percentage, not a fraction
    assert [d.proto.placeholder for d in at.dataframe] == ["—"]  # a missing figure shows as a dash, never None
    assert any("a dash stands for a figure withheld" in c.value for c in at.caption)
    assert "b1mg-programme-overview.csv" in downloads


def test_overview_is_not_in_a_viewers_menu(demo_url: str) -> None:
    at = open_page(demo_url, "demo-viewer", page="overview")
    assert "Programme overview" not in [t.value for t in at.title]


def test_trends_group_rounds_by_period(demo_url: str) -> None:
    at = open_page(demo_url, "demo-analyst", {"view": "trends", "systems": "XF"})
    table = dataframes(at)[0]
    xf = table.loc[table["Health system"].str.startswith("XF")]
    assert xf["Round"].tolist() == ["Round 2024", "Round 2025 H1", "Round 2026"]
    medians = table.loc[table["Health system"] == "Median"]
    assert medians["Round"].tolist() == ["Round 2024", "Round 2025", "Round 2026"]  # XF's half year alone: none
    assert (medians["Health systems"] >= 3).all()
    assert [d.proto.placeholder for d in at.dataframe] == ["—"]
    assert any(c.value.startswith("Round: the period") and "A dash: no earlier round" in c.value for c in at.caption)
