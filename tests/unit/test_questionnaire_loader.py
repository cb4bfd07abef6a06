"""The questionnaire loader: every mistake located as PATH:LINE:COL, all of a file's mistakes at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from b1mg_maturity.errors import QuestionnaireError
from b1mg_maturity.questionnaire import BUNDLED_MLM, Questionnaire, check_questionnaire, load_questionnaire
from b1mg_maturity.questionnaire.yaml_source import MAX_YAML_BYTES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TINY = (FIXTURES / "tiny.yaml").read_text(encoding="utf-8")


def _problems(text: str | bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "q.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return [str(p) for p in check_questionnaire(path)]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_tiny_fixture_loads_frozen(tiny: Questionnaire) -> None:
    assert [i.id for i in tiny.indicators] == ["A.1.1", "A.1.2", "A.2.1", "B.1.1", "C.1.1", "C.1.2"]
    assert tiny.domain_of("C.1.2").id == "C"
    assert tiny.indicator("A.1.2").weight == 2.0
    with pytest.raises(ValidationError, match="frozen"):
        tiny.indicators[0].statement = "changed"  # type: ignore[misc]
    assert len(tiny.content_hash) == 64


def test_content_hash_ignores_formatting_but_not_content(tmp_path: Path, tiny: Questionnaire) -> None:
    reformatted = tmp_path / "re.yaml"
    reformatted.write_text("# a comment\n" + TINY.replace("title: Tiny", "title:   Tiny"), encoding="utf-8")
    assert load_questionnaire(reformatted).content_hash == tiny.content_hash
    changed = tmp_path / "changed.yaml"
    changed.write_text(TINY.replace("Level one.", "Level one!"), encoding="utf-8")
    assert load_questionnaire(changed).content_hash != tiny.content_hash


def test_typo_key_is_located_with_suggestion(tmp_path: Path) -> None:
    text = TINY.replace("statement: First alpha indicator.", "statment: First alpha indicator.")
    problems = _problems(text, tmp_path)
    line = _line_of(text, "statment:")
    assert any(f"q.yaml:{line}:13: unknown key 'statment' (did you mean 'statement'?)" in p for p in problems)
    assert len(problems) == 1, "one typo is one problem, not also a 'missing statement'"


def test_missing_level_names_indicator_and_levels(tmp_path: Path) -> None:
    text = TINY.replace("levels: {1: d1, 2: d2, 3: d3, 4: d4, 5: d5}", "levels: {1: d1, 2: d2, 4: d4, 5: d5}")
    problems = _problems(text, tmp_path)
    line = _line_of(text, "{1: d1, 2: d2, 4: d4")
    assert problems == [
        f"{tmp_path / 'q.yaml'}:{line}:21: indicator 'B.1.1' has no description for level(s) 3; "
        "every indicator describes each level of the scale (1-5)"
    ]


def test_level_off_the_scale(tmp_path: Path) -> None:
    text = TINY.replace("{1: d1, 2: d2, 3: d3, 4: d4, 5: d5}", "{1: d1, 2: d2, 3: d3, 4: d4, 5: d5, 6: d6}")
    assert any("level 6 is not on the scale (1-5)" in p for p in _problems(text, tmp_path))


def test_duplicate_id_points_to_both_places(tmp_path: Path) -> None:
    text = TINY.replace("- id: C.1.2", "- id: A.1.1")
    problems = _problems(text, tmp_path)
    first = _line_of(text, "- id: A.1.1")
    assert len(problems) == 1
    assert "duplicate id 'A.1.1' (first used at" in problems[0] and f"q.yaml:{first}:" in problems[0]


def test_wrong_type_and_bad_weight(tmp_path: Path) -> None:
    text = TINY.replace("weight: 2\n    subdomains", "weight: -1\n    subdomains").replace(
        "statement: Only beta indicator.", "statement: [not, text]"
    )
    problems = _problems(text, tmp_path)
    assert any("'weight': expected a number greater than 0 (found a number: -1)" in p for p in problems)
    assert any("'statement': input should be a valid string (found a list)" in p for p in problems)


def test_undeclared_and_unknown_pillar(tmp_path: Path) -> None:
    text = TINY.replace("pillar: elsi", "pillar: standards")
    assert any("pillar 'standards' is not declared under 'pillars'" in p for p in _problems(text, tmp_path))
    text = TINY.replace("pillar: elsi", "pillar: ethics")
    assert any(
        "'pillar': expected one of 'elsi', 'standards', 'infrastructure' or 'healthcare'" in p
        for p in _problems(text, tmp_path)
    )


def test_three_mistakes_three_located_errors(tmp_path: Path) -> None:
    text = (
        TINY.replace("statement: Third alpha indicator.", "statment: Third alpha indicator.")
        .replace("- id: C.1.2", "- id: B.1.1")
        .replace("{1: e1, 2: e2, 3: e3, 4: e4, 5: e5}", "{1: e1, 2: e2, 3: e3, 5: e5}")
    )
    problems = _problems(text, tmp_path)
    lines = sorted({int(p.split(":")[1]) for p in problems})
    assert len(lines) == 3, problems
    assert any("unknown key 'statment'" in p for p in problems)
    assert any("duplicate id 'B.1.1'" in p for p in problems)
    assert any("no description for level(s) 4" in p for p in problems)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n# only a comment\n", "the file is empty"),
        (b"id: x\n  bad: [unclosed\n", "malformed YAML"),
        (b"id: \xff\xfe broken\n", "not valid UTF-8 (byte 0xff)"),
        (b"- just\n- a list\n", "expected a mapping of questionnaire keys, found a list"),
        (b"id: a\nid: b\n", "duplicate key 'id'"),
        (b"base: &x {a: 1}\nother: *x\n", "anchors and aliases"),
        (b"!!python/object:os.system {}\n", "unsupported YAML tag"),
        (b"id: !!python/name:os.system x\n", "unsupported YAML tag"),
    ],
)
def test_unreadable_files_get_their_own_message(tmp_path: Path, content: bytes, expected: str) -> None:
    problems = _problems(content, tmp_path)
    assert problems and any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path / "q.yaml")) for p in problems)


def test_non_utf8_position(tmp_path: Path) -> None:
    problems = _problems(b"id: ok\ntitle: caf\xe9\n", tmp_path)
    assert problems[0].startswith(f"{tmp_path / 'q.yaml'}:2:11:")


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_YAML_BYTES + b"\n")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    assert "at most" in caught.value.lines()[0]


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read the file" in _problems_of_path(tmp_path / "nope.yaml")[0]


def _problems_of_path(path: Path) -> list[str]:
    return [str(p) for p in check_questionnaire(path)]


def test_version_number_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(TINY.replace('version: "0.1"', "version: 0.1"), encoding="utf-8")
    assert load_questionnaire(path).version == "0.1"


def test_bundled_file_is_valid() -> None:
    assert check_questionnaire(BUNDLED_MLM) == []


RESOURCES = "            resources:\n              - title: Guidance for the next level\n                url: {url}\n"


def _with_resource(url: str) -> str:
    """The tiny questionnaire with one resource under A.1.1 (after its levels)."""
    anchor = "            levels: {1: a1, 2: a2, 3: a3, 4: a4, 5: a5}\n"
    assert anchor in TINY
    return TINY.replace(anchor, anchor + RESOURCES.format(url=url))


def test_resources_load_and_leave_the_content_hash_alone(tmp_path: Path, tiny: Questionnaire) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(_with_resource("https://www.ga4gh.org/"), encoding="utf-8")
    loaded = load_questionnaire(path)
    (resource,) = loaded.indicator("A.1.1").resources
    assert (resource.title, resource.url) == ("Guidance for the next level", "https://www.ga4gh.org/")
    assert loaded.indicator("A.1.2").resources == ()
    assert loaded.content_hash == tiny.content_hash


@pytest.mark.parametrize(
    "url",
    ["http://www.ga4gh.org/", "javascript:alert(document.cookie)//x"],
    ids=["http", "javascript"],
)
def test_a_resource_that_is_not_https_is_refused_where_it_is(tmp_path: Path, url: str) -> None:
    text = _with_resource(url)
    line = _line_of(text, "url: ")
    assert _problems(text, tmp_path) == [
        f"{tmp_path / 'q.yaml'}:{line}:22: 'url': expected an https address, such as https://example.org/page "
        f"(other kinds of address are refused) (found text: '{url}')"
    ]


def test_bundled_questionnaire_has_https_resources() -> None:
    bundled = load_questionnaire(BUNDLED_MLM)
    with_links = [i for i in bundled.indicators if i.resources]
    assert len(with_links) >= 10
    assert all(r.url.startswith("https://") and r.title for i in with_links for r in i.resources)
