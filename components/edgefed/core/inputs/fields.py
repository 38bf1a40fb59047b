"""Shared building blocks of edgefed's input models: strict frozen models, country codes, locations."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from edgefed.core.inputs.geography import geography
from edgefed.core.inputs.text import shown

FailoverCapacity = Literal["standby", "full"]
"""What a failover zone reserves for a site: its standby replicas, or its full primary replicas."""

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class StrictModel(BaseModel):
    """Base of every input model: immutable, and unknown fields are errors (a typo never passes).

    Every field has a docstring (its default and why; tests/test_models.py checks). They are not read at
    runtime (``use_attribute_docstrings`` parses each class's source at import, a fifth of a program's
    start-up for no message anyone reads).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


def _check_eea(code: str) -> str:
    geo = geography()
    allowed = ", ".join(sorted(geo.eea))
    if code not in geo.iso_codes:
        raise ValueError(f"{shown(code)} is not an ISO 3166-1 alpha-2 country code; allowed: {allowed}")
    if not geo.is_eea(code):
        raise ValueError(f"{shown(code)} is outside the EU/EEA, where edgefed data may not live; allowed: {allowed}")
    return code


EEACountry = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_eea)]
"""An ISO 3166-1 alpha-2 code of an EU/EEA country (lower case is accepted and upper-cased)."""


def _check_iso(code: str) -> str:
    if code not in geography().iso_codes:
        raise ValueError(f"{shown(code)} is not an ISO 3166-1 alpha-2 country code")
    return code


ISOCountry = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_iso)]
"""An ISO 3166-1 alpha-2 code of any country (lower case is accepted and upper-cased)."""


def _check_dns_label(value: str) -> str:
    if len(value) > 40 or not DNS_LABEL.match(value):
        raise ValueError(
            f"{shown(value)} is not a valid name; use 1-40 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return value


Name = Annotated[str, AfterValidator(_check_dns_label)]
"""A DNS-1123 label of at most 40 characters, so that derived Kubernetes names stay under 63."""


class Location(StrictModel):
    """A point on Earth in WGS 84 degrees."""

    latitude: Annotated[float, Field(ge=-90, le=90)]
    """Degrees north, -90..90. No default: a zone or site without a position cannot be placed."""
    longitude: Annotated[float, Field(ge=-180, le=180)]
    """Degrees east, -180..180. No default, for the same reason."""
