"""Who a zone takes a credential for, and what it lets it do: its authentication and authorization APIs.

Through a :class:`~edgefed_ops.local.zone_client.ZoneClient`'s connection: the tenant's identity is
checked with each zone's API server before anything deploys (never assumed from a kubeconfig), the
home operator's issuer hands out and reviews tenants' tokens, and ``edgefed report`` lists what each
tenant may do (``kubectl auth can-i --list``).
"""

from __future__ import annotations

from lightkube import ApiError
from lightkube.models.authentication_v1 import TokenRequestSpec, TokenReviewSpec
from lightkube.models.authorization_v1 import (
    ResourceAttributes,
    SelfSubjectAccessReviewSpec,
    SelfSubjectRulesReviewSpec,
)
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.authentication_v1 import SelfSubjectReview, TokenReview
from lightkube.resources.authorization_v1 import SelfSubjectAccessReview, SelfSubjectRulesReview
from lightkube.resources.core_v1 import ServiceAccountToken

from edgefed_ops.local.zone_client import ZoneClient


class ZoneIdentity:
    """The identity APIs of one zone, reached with the credential of a client's kubeconfig."""

    def __init__(self, client: ZoneClient) -> None:
        self._client = client

    def service_account_token(self, namespace: str, name: str, audience: str, seconds: int) -> str:
        """A token for a ServiceAccount from the TokenRequest API, for ``audience``, living ``seconds``."""
        spec = TokenRequestSpec(audiences=[audience], expirationSeconds=seconds)
        request = ServiceAccountToken(metadata=ObjectMeta(name=name, namespace=namespace), spec=spec)
        answer = self._client.api().create(request, name=name, namespace=namespace)
        assert answer.status is not None
        return str(answer.status.token)

    def whoami(self) -> str | None:
        """Who this API server takes the kubeconfig's credential for (a SelfSubjectReview).

        None when it does not authenticate it at all (401: a token from an issuer it does not trust,
        expired or revoked).
        """
        try:
            answer = self._client.api().create(SelfSubjectReview())
        except ApiError as error:
            if error.status.code == 401:
                return None
            raise
        user = answer.status.userInfo if answer.status else None
        return (user.username or "") if user else ""

    def rules(self, namespace: str) -> tuple[list[tuple[list[str], list[str], list[str]]], bool]:
        """What the credential may do in ``namespace`` (``kubectl auth can-i --list``).

        (api groups, resources, verbs) per rule, and whether the server said the list is incomplete.
        """
        review = SelfSubjectRulesReview(spec=SelfSubjectRulesReviewSpec(namespace=namespace))
        status = self._client.api().create(review).status
        if status is None:
            return [], True
        found = [
            (list(rule.apiGroups or [""]), list(rule.resources or []), list(rule.verbs))
            for rule in status.resourceRules
        ]
        return found, bool(status.incomplete)

    def can(self, verb: str, group: str, resource: str, namespace: str | None) -> bool:
        """Whether the credential may ``verb`` ``resource`` (``kubectl auth can-i``: a SelfSubjectAccessReview)."""
        attributes = ResourceAttributes(verb=verb, group=group, resource=resource, namespace=namespace)
        review = SelfSubjectAccessReview(spec=SelfSubjectAccessReviewSpec(resourceAttributes=attributes))
        status = self._client.api().create(review).status
        return bool(status and status.allowed)

    def accepts_token(self, token: str, audience: str) -> bool:
        """True when this API server authenticates ``token`` for ``audience`` now (a TokenReview).

        Its issuer answers False for a token it signed with keys it no longer has, or for an account
        since removed: a token that only looks valid is never reused.
        """
        review = TokenReview(spec=TokenReviewSpec(token=token, audiences=[audience]))
        answer = self._client.api().create(review)
        return bool(answer.status and answer.status.authenticated)
