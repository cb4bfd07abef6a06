"""In which language a mail is written: its reader's, as they chose it; else the language of the person whose
action sends it (a coordinator inviting the experts of their own country)."""

from __future__ import annotations

from collections.abc import Iterable

from b1mg_maturity import i18n


def mail_language(reader_language: str | None) -> str:
    return reader_language if reader_language in i18n.LANGUAGES else i18n.current()


def by_language(readers: Iterable[tuple[str | None, str | None]]) -> dict[str, tuple[str, ...]]:
    """Addresses grouped by the language their mail is written in: one mail per language, each in its own."""
    groups: dict[str, list[str]] = {}
    for address, language in readers:
        if address:
            groups.setdefault(mail_language(language), []).append(address)
    return {language: tuple(addresses) for language, addresses in groups.items()}
