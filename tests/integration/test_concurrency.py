"""20 threads saving ratings to one round at once: nothing accepted is lost, nothing refused is silent."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from b1mg_maturity.errors import Conflict
from b1mg_maturity.services import Services
from tests.integration.world import PASSWORD, World

THREADS = 20
SAVES_PER_THREAD = 8
INDICATORS = ("D1.1.1", "D1.2.1", "D2.1.1")


@dataclass
class Outcome:
    expert: str
    indicator: str
    evidence: str
    accepted_version: int | None  # None when refused


def _experts(world: World, count: int) -> list[tuple[str, int]]:
    services, coordinator = world.services, world.id("coordinator-de")
    experts = []
    for n in range(count):
        name = f"load-expert-{n}"
        user = services.add_user(world.id("admin"), name, PASSWORD)
        services.grant(world.id("admin"), name, "DE", "expert")
        services.invite_expert(coordinator, world.rounds["DE"], name)
        experts.append((name, user.id))
    return experts


def _worker(
    services: Services,
    round_id: int,
    expert: tuple[str, int],
    number: int,
    start: threading.Barrier,
    out: list[Outcome],
) -> None:
    name, user_id = expert
    start.wait()
    for seq in range(SAVES_PER_THREAD):
        indicator = INDICATORS[(number + seq) % len(INDICATORS)]
        evidence = f"thread {number} save {seq}"
        seen = services.my_ratings(user_id, round_id).get(indicator)
        try:
            saved = services.rate(
                user_id, round_id, indicator, level=1 + (number + seq) % 5, evidence=evidence,
                expected_version=seen.version if seen else 0,
            )  # fmt: skip
            out.append(Outcome(name, indicator, evidence, saved.version))
        except Conflict as conflict:
            assert conflict.yours["evidence"] == evidence  # the refused save is told what it tried
            out.append(Outcome(name, indicator, evidence, None))


def test_twenty_threads_save_at_once(world: World) -> None:
    services, round_id = world.services, world.rounds["DE"]
    experts = _experts(world, 4)  # 5 threads per expert: they race for the same records
    start = threading.Barrier(THREADS)
    outcomes: list[Outcome] = []
    threads = [
        threading.Thread(target=_worker, args=(services, round_id, experts[n % 4], n, start, outcomes))
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert len(outcomes) == THREADS * SAVES_PER_THREAD

    accepted = [o for o in outcomes if o.accepted_version is not None]
    refused = [o for o in outcomes if o.accepted_version is None]
    assert accepted, "no save went through"
    # Each record's versions were handed out once each, 1..n without gaps.
    per_record = Counter((o.expert, o.indicator) for o in accepted)
    for (expert, indicator), count in per_record.items():
        versions = sorted(o.accepted_version or 0 for o in accepted if (o.expert, o.indicator) == (expert, indicator))
        assert versions == list(range(1, count + 1)), (expert, indicator, versions)

    # The database holds the last accepted save of every record.
    ratings = {(r.expert, r.indicator_id): r for r in services.all_ratings(world.id("coordinator-de"), round_id)}
    for key, count in per_record.items():
        last = max((o for o in accepted if (o.expert, o.indicator) == key), key=lambda o: o.accepted_version or 0)
        assert ratings[key].version == count
        assert ratings[key].evidence == last.evidence

    # The audit log has exactly the accepted saves, and none of the refused ones.
    audited = [
        e.new_value["evidence"]
        for e in services.audit_log(world.id("coordinator-de"), round_id=round_id, limit=10_000)
        if e.action == "rate"
    ]
    assert sorted(audited) == sorted(o.evidence for o in accepted)
    assert not {o.evidence for o in refused} & set(audited)
    print(f"\n{services.db.dialect}: {len(accepted)} accepted, {len(refused)} refused as conflicts")
