"""Health-system codes: countries (ISO 3166-1 alpha-2) and regions (ISO 3166-2), names from pycountry.

ISO 3166-1 leaves some alpha-2 codes to its users (AA, QM-QZ, XA-XZ, ZZ);
they name the synthetic demo systems, so demo data can never be mistaken for
a real country's result.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import pycountry

from b1mg_maturity.errors import Problem, ValidationFailed
from b1mg_maturity.i18n import _

USER_ASSIGNED = frozenset(
    {"AA", "ZZ"}
    | {f"Q{c}" for c in string.ascii_uppercase[string.ascii_uppercase.index("M") :]}
    | {f"X{c}" for c in string.ascii_uppercase}
)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str  # "country" or "region"
    parent_code: str | None


def resolve(code: str, *, demo_name: str | None = None) -> Place:
    """The country or region with this ISO code; raises ValidationFailed naming what is valid."""
    cleaned = code.strip().upper()
    if demo_name is not None:
        if cleaned not in USER_ASSIGNED:
            raise ValidationFailed(
                "not a demo code",
                (
                    Problem(
                        "code", _("'{code}' is not a user-assigned ISO code (use XA-XZ for demo systems)", code=code)
                    ),
                ),
            )
        return Place(cleaned, demo_name, "country", None)
    if "-" in cleaned:
        region = pycountry.subdivisions.get(code=cleaned)  # type: ignore[no-untyped-call]
        if region is None:
            raise ValidationFailed(
                "unknown region",
                (
                    Problem(
                        "code", _("'{code}' is not an ISO 3166-2 region code (for example ES-CT, DE-BY)", code=code)
                    ),
                ),
            )
        return Place(region.code, region.name, "region", region.country_code)
    country = pycountry.countries.get(alpha_2=cleaned) if len(cleaned) == 2 else None
    if country is None:
        raise ValidationFailed(
            "unknown country",
            (
                Problem(
                    "code", _("'{code}' is not an ISO 3166-1 alpha-2 country code (for example DE, FR, EE)", code=code)
                ),
            ),
        )
    return Place(country.alpha_2, getattr(country, "common_name", None) or country.name, "country", None)
