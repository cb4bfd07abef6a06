"""The quick assessment page, run headless with Streamlit's AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from b1mg_maturity.ui.quick_assessment import level_key, target_key


def _quick_page() -> None:
    from b1mg_maturity.ui import quick_assessment

    quick_assessment.render()


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_function(_quick_page, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert len(values) == 1, f"expected one metric {label!r}, found {values}"
    return str(values[0])


def test_page_loads_with_banner_every_indicator_and_empty_results(app: AppTest) -> None:
    [notice] = [i.value for i in app.info if "kept on the server" in i.value]
    assert "**Nothing you enter here is kept on the server.**" in notice
    assert "download the answers file" in notice and "sign in" in notice
    assert "come later" not in notice
    assert len(app.radio) == 49
    assert len(app.expander) >= 8
    first = app.radio(key=level_key("D1.1.1"))
    assert first.value == "not-answered"
    assert first.options[:3] == ["Not answered", "Not applicable", "1 · Absent or ad hoc"]
    assert metric(app, "Overall score") == "—"
    assert metric(app, "Coverage") == "0%"
    assert app.selectbox(key=target_key("D1.1.1")).disabled
    assert len(app.dataframe) == 0  # no table until something is rated


def test_choosing_levels_updates_the_overall_score(app: AppTest) -> None:
    app.radio(key=level_key("D1.1.1")).set_value(2)
    app.radio(key=level_key("D1.2.1")).set_value(3)
    app.radio(key=level_key("D2.1.1")).set_value(5)
    app.run()
    assert not app.exception
    # domain I = (2 + 3) / 2 = 2.5, domain II = 5; overall = mean of domains = 3.75
    assert metric(app, "Overall score") == "3.75"
    assert metric(app, "Maturity level") == "3 · Defined"
    assert metric(app, "Coverage") == "6%"  # 3 of 49
    table = app.dataframe[0].value
    scores = dict(zip(table["Domain"], table["Score"], strict=True))
    assert scores["I. Governance and strategy"] == pytest.approx(2.5)
    assert scores["II. Investment and economic model"] == pytest.approx(5.0)
    assert table.loc[table["Domain"] == "I. Governance and strategy", "Answered"].item() == "2 of 3"


def test_not_applicable_leaves_the_score_and_shrinks_coverage_base(app: AppTest) -> None:
    app.radio(key=level_key("D1.1.1")).set_value(4)
    app.radio(key=level_key("D2.1.1")).set_value("not-applicable")
    app.run()
    assert metric(app, "Overall score") == "4.00"
    assert any("1 of 48 applicable indicators answered, 1 not applicable" in c.value for c in app.caption)


def test_target_enabled_after_rating_and_raises_the_overall_target(app: AppTest) -> None:
    app.radio(key=level_key("D1.1.1")).set_value(2).run()
    target = app.selectbox(key=target_key("D1.1.1"))
    assert not target.disabled
    target.set_value(4).run()
    assert metric(app, "Overall score") == "2.00"
    assert metric(app, "Overall target") == "4.00"
