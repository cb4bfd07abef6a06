"""A round rated in French and one rated in English are rounds of the same questionnaire version: the
comparison puts them side by side, with the same scores whatever the reader's language (SQLite and
PostgreSQL)."""

from __future__ import annotations

from b1mg_maturity import i18n
from b1mg_maturity.services.comparison import compare
from tests.integration.world import World


def _rate_and_publish(world: World, code: str, levels: dict[str, int]) -> None:
    services, admin = world.services, world.id("admin")
    coordinator, round_id = world.id(f"coordinator-{code.lower()}"), world.rounds[code]
    for indicator_id, level in levels.items():
        services.set_consensus(coordinator, round_id, indicator_id, level=level, expected_version=0)
    services.start_review(coordinator, round_id)
    services.submit(coordinator, round_id)
    services.publish(admin, round_id)


def test_a_french_and_an_english_round_are_compared_together(world: World) -> None:
    world.services.set_language(world.id("coordinator-fr"), "fr")
    with i18n.language("fr"):  # the French team works in French, the German one in English
        _rate_and_publish(world, "FR", {"D1.1.1": 4, "D1.2.1": 2})
    _rate_and_publish(world, "DE", {"D1.1.1": 1, "D1.2.1": 3})

    seen = {}
    for language in ("en", "fr", "pl"):
        with i18n.language(language):
            comparison = compare(world.services, world.id("admin"), min_group_size=1)
            table = comparison.table("heatmap")
            assert len(comparison.systems) == 2, language  # both rounds, in one comparison
            numbers = table.select_dtypes("number")
            seen[language] = [[None if v != v else v for v in row] for row in numbers.to_numpy().tolist()]
    assert seen["en"] == seen["fr"] == seen["pl"]  # scores never depend on the language
    flat = {value for row in seen["en"] for value in row if value is not None}
    assert {3.0, 2.0} <= flat  # FR's domain I: (4 + 2) / 2; DE's: (1 + 3) / 2
