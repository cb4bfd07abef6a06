"""What a person sees and does on the Rate and Consensus pages, as Playwright steps (a small page model)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from b1mg_maturity.edits import NOT_APPLICABLE
from b1mg_maturity.questionnaire import Questionnaire
from b1mg_maturity.ui.rate import card_key

LevelChoice = int | str | None


QUIET_MS = 300  # a click may run the script twice (its callbacks, then the fragments they name), ~150 ms apart
_RUNNING = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !app || app.getAttribute('data-test-script-state') === 'running'
    || document.querySelector('[data-testid="stStatusWidget"]') !== null
    || document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]') !== null;
}"""


def idle(page: Any, seconds: float = 60) -> None:
    """Wait until the app has finished running: the page's script state (set for fragment reruns too, which
    show no status widget) has not said "running" for ``QUIET_MS``, and no widget is still a grey placeholder
    (Streamlit loads the code of a kind of widget, radios for one, the first time a page shows one)."""
    deadline = time.monotonic() + seconds
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        if page.evaluate(_RUNNING):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the app was still running after {seconds:.0f} s")


def settle(page: Any) -> None:
    """Wait until no card says its typed text is still to be saved, then until the app is idle."""
    idle(page)
    page.locator(".b1mg-save-status[data-state='typing']").first.wait_for(state="detached")
    idle(page)


def wait_until(check: Any, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


@dataclass(frozen=True)
class Shown:
    level: LevelChoice
    evidence: str
    links: str


class RatePage:
    """The Rate page of one browser."""

    def __init__(self, page: Any, questionnaire: Questionnaire) -> None:
        self.page = page
        self.q = questionnaire

    def card(self, indicator_id: str) -> Any:
        return self.page.locator(f".st-key-{card_key(indicator_id)}")

    def level_label(self, choice: LevelChoice) -> str:
        if choice is None:
            return "Not answered yet"
        if choice == NOT_APPLICABLE:
            return "Not applicable"
        assert isinstance(choice, int)
        return f"{choice} · {self.q.level_label(choice)}"

    def choice_of(self, label: str) -> LevelChoice:
        for choice in (None, NOT_APPLICABLE, *self.q.scale):
            if label.startswith(self.level_label(choice)):
                return choice
        raise AssertionError(f"unknown level label {label!r}")

    def heading(self, domain_id: str) -> Any:
        domain = next(d for d in self.q.domains if d.id == domain_id)
        return self.page.get_by_role("heading", name=re.compile("^" + re.escape(domain.title)))

    def wait_for_domain(self, domain_id: str) -> None:
        self.heading(domain_id).wait_for()
        idle(self.page)

    def shown(self, indicator_id: str) -> Shown:
        card = self.card(indicator_id)
        checked = card.locator("label:has(input[type=radio]:checked)").first.inner_text().splitlines()[0]
        return Shown(
            self.choice_of(checked.strip()),
            card.get_by_label("Evidence").input_value(),
            card.get_by_label("Links (one per line)").input_value(),
        )

    def choose(self, indicator_id: str, choice: LevelChoice) -> None:
        """Click a level; a click that lands while the page is being redrawn is tried again."""
        card = self.card(indicator_id)
        label = self.level_label(choice)
        pattern = re.compile(rf"^{re.escape(label)}")
        for _ in range(3):
            idle(self.page)
            card.get_by_text(pattern).first.click()
            idle(self.page)
            if card.get_by_role("radio", name=pattern).is_checked():
                return
        raise AssertionError(f"could not choose {label} for {indicator_id}")

    def type_text(self, indicator_id: str, box: str, text: str, *, leave: bool) -> None:
        """Type into Evidence or Links; leave the field (Tab) or just stop typing and wait."""
        field = self.card(indicator_id).get_by_label(box)
        idle(self.page)
        field.fill(text)
        if leave:
            field.press("Tab")
        idle(self.page)

    def switch_domain(self, domain_id: str) -> None:
        domain = next(d for d in self.q.domains if d.id == domain_id)
        sidebar = self.page.get_by_test_id("stSidebar")
        idle(self.page)
        sidebar.get_by_text(domain.title, exact=True).click()
        self.wait_for_domain(domain_id)

    def settle(self) -> None:
        """Wait until no card is waiting to save typed text, and the page has finished drawing."""
        settle(self.page)


def links_text(links: tuple[str, ...]) -> str:
    return "\n".join(links)


@dataclass(frozen=True)
class Decision:
    level: LevelChoice
    rationale: str
    target: int | None


class ConsensusPage:
    """The Consensus page of one browser."""

    def __init__(self, page: Any, questionnaire: Questionnaire) -> None:
        self.page = page
        self.q = questionnaire

    def card(self, indicator_id: str) -> Any:
        return self.page.locator(f".st-key-consensus-{card_key(indicator_id)}")

    def level_label(self, choice: LevelChoice) -> str:
        if choice is None:
            return "Not decided yet"
        if choice == NOT_APPLICABLE:
            return "Not applicable"
        assert isinstance(choice, int)
        return f"{choice} · {self.q.level_label(choice)}"

    def target_label(self, target: int | None) -> str:
        return "No target" if target is None else f"{target} · {self.q.level_label(target)}"

    def wait_for_domain(self, domain_id: str) -> None:
        domain = next(d for d in self.q.domains if d.id == domain_id)
        self.page.get_by_role("heading", name=re.compile("^" + re.escape(domain.title))).wait_for()
        idle(self.page)

    def shown(self, indicator_id: str) -> Decision:
        card = self.card(indicator_id)
        checked = card.locator("label:has(input[type=radio]:checked)").first.inner_text().splitlines()[0].strip()
        level = next(c for c in (None, NOT_APPLICABLE, *self.q.scale) if checked == self.level_label(c))
        target_text = card.get_by_role("combobox", name="Target level").input_value().strip()
        target = next(t for t in (None, *self.q.scale) if target_text.startswith(self.target_label(t)))
        return Decision(level, card.get_by_label("Rationale").input_value(), target)

    def choose(self, indicator_id: str, choice: LevelChoice) -> None:
        card = self.card(indicator_id).get_by_test_id("stRadio")
        label = self.level_label(choice)
        for _ in range(3):
            idle(self.page)
            card.get_by_text(label, exact=True).first.click()
            idle(self.page)
            if card.get_by_role("radio", name=label, exact=True).is_checked():
                return
        raise AssertionError(f"could not choose {label} for {indicator_id}")

    def choose_target(self, indicator_id: str, target: int | None) -> None:
        box = self.card(indicator_id).get_by_test_id("stSelectbox")
        option = self.page.get_by_role("listbox").get_by_text(self.target_label(target), exact=True)
        for _ in range(3):
            idle(self.page)
            box.get_by_role("button", name="Open").click()
            try:
                option.wait_for(timeout=3000)
            except Exception:  # the list did not open (the click landed during a redraw): try again
                continue
            option.click()
            idle(self.page)
            return
        raise AssertionError(f"could not open the target list of {indicator_id}")

    def settle(self) -> None:
        settle(self.page)

    def type_rationale(self, indicator_id: str, text: str, *, leave: bool) -> None:
        box = self.card(indicator_id).get_by_label("Rationale")
        idle(self.page)
        box.fill(text)
        if leave:
            box.press("Tab")
        idle(self.page)

    def switch_domain(self, domain_id: str) -> None:
        domain = next(d for d in self.q.domains if d.id == domain_id)
        idle(self.page)
        self.page.get_by_test_id("stSidebar").get_by_text(domain.title, exact=True).click()
        self.wait_for_domain(domain_id)


def shown_soon(page: RatePage, indicator_id: str, expected: Shown, seconds: float = 10) -> None:
    """Wait (at most ``seconds``) until the card shows ``expected``; the caller then asserts what it shows."""
    deadline = time.monotonic() + seconds
    while page.shown(indicator_id) != expected and time.monotonic() < deadline:
        page.page.wait_for_timeout(100)
