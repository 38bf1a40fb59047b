"""One identity per tenant, accepted by every zone: the zones' trust of the operators' identity issuers.

A tenant's identity is a ServiceAccount ``<tenant>`` in the namespace ``tenants`` of its home operator's
issuer (a Kubernetes API server run by the operator for identities only). The issuer signs short-lived
tokens for it (TokenRequest, audience :data:`AUDIENCE`, at most :data:`MAX_TOKEN_SECONDS`). Every zone
of every operator trusts every issuer of the catalog through the API server's structured
authentication configuration (``--authentication-config``): it fetches the issuer's signing keys by
OIDC discovery and maps a token to the user ``<operator>:<tenant>`` in the group
``edgefed:tenant:<operator>:<tenant>``. The operator is part of the name, so an issuer can only ever
speak for its own tenants: another operator's issuer minting an ``acme`` account gets a group no
RoleBinding names. Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from edgefed.core.inputs.catalog import Catalog

AUDIENCE = "edgefed-federation"
"""The audience of every tenant token: a token minted for anything else is refused by the zones."""
TENANTS_NAMESPACE = "tenants"
"""The namespace of the tenants' ServiceAccounts on an operator's issuer."""
MAX_TOKEN_SECONDS = 3600
"""The longest a tenant token lives (the issuer's ``--service-account-max-token-expiration``)."""
GROUP_PREFIX = "edgefed:tenant:"


def tenant_group(operator: str, tenant: str) -> str:
    """The group a zone gives the tenant whose home operator is ``operator``."""
    return f"{GROUP_PREFIX}{operator}:{tenant}"


def operator_group(operator: str) -> str:
    """The group of an operator's admin credential: ``cluster-admin`` on the operator's own zones only."""
    return f"edgefed:operator:{operator}"


def tenant_user(operator: str, tenant: str) -> str:
    """The user name a zone gives the tenant."""
    return f"{operator}:{tenant}"


def _cel(value: str) -> str:
    return json.dumps(value)


def authenticator(operator: str, issuer: str, certificate_authority: str) -> dict[str, Any]:
    """The JWT authenticator that accepts ``operator``'s tenant tokens (and nothing else it might sign)."""
    service_account = "claims['kubernetes.io']['serviceaccount']['name']"
    issuer_config: dict[str, Any] = {"url": issuer, "audiences": [AUDIENCE], "audienceMatchPolicy": "MatchAny"}
    if certificate_authority:
        issuer_config["certificateAuthority"] = certificate_authority
    return {
        "issuer": issuer_config,
        "claimValidationRules": [
            {
                "expression": f"claims['kubernetes.io']['namespace'] == {_cel(TENANTS_NAMESPACE)}",
                "message": f"only the tenant accounts of {operator}'s issuer (namespace {TENANTS_NAMESPACE}) count",
            }
        ],
        "claimMappings": {
            "username": {"expression": f"{_cel(operator + ':')} + {service_account}"},
            "groups": {"expression": f"[{_cel(GROUP_PREFIX + operator + ':')} + {service_account}]"},
            "uid": {"expression": "claims.sub"},
        },
        "userValidationRules": [
            {
                "expression": "!user.username.startsWith('system:') && user.groups.all(g, !g.startsWith('system:'))",
                "message": "a tenant identity is never a system user or group",
            }
        ],
    }


def authentication_config(catalog: Catalog, authorities: Mapping[str, str]) -> dict[str, Any]:
    """The ``AuthenticationConfiguration`` every zone of ``catalog`` runs with.

    One authenticator per operator with an identity issuer; ``authorities`` maps each such operator to
    the PEM bundle that verifies its issuer's TLS certificate (a public CA needs none: ``""``).
    """
    jwt = [
        authenticator(op.id, op.identity_issuer, authorities.get(op.id, ""))
        for op in catalog.operators
        if op.identity_issuer is not None
    ]
    return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": jwt}
