"""The attack suite run against the local federation's zones, each tenant with its own token.

For every tenant: its attacks (:mod:`edgefed_ops.reports.attack_catalog`) and their twins, sent to the real
zones with the tenant's own kubeconfig (never an operator's or an admin's); the operator's credential only
reads back which flow schema is the tenant's. An attack *holds* when the zone refused it with the words of
the rule it names and admitted its compliant twin. Objects a probe creates for real (``pods`` and
``fill`` probes) are deleted before the suite returns.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from typing import Any

from edgefed.core.inputs.contract import Contract, load_contracts
from edgefed.core.inputs.operator_terms import load_operator_terms
from edgefed.core.inputs.stacksets import family_of, load_stacksets
from edgefed.core.objects.fairness import tenant_level
from edgefed.core.rules import pack_config
from edgefed_ops.local.zone_client import ZoneClient
from edgefed_ops.local.zone_writes import ZoneWrites
from edgefed_ops.reports.attack_catalog import attacks
from edgefed_ops.reports.attacks import CLASSES, Attack, Probe, situation
from edgefed_ops.settings import LOCAL_PREFIX
from edgefed_ops.stack.local_stacks import LocalStacks

FILL_LIMIT = 200
"""The most copies a ``fill`` probe makes before it counts the quota as missing."""


@dataclass(frozen=True)
class Verdict:
    """What the zone answered to one attack and to its twin."""

    attack: Attack
    refusal: str | None
    """The zone's refusal of the attack (``None``: admitted)."""
    twin_refusal: str | None
    """The zone's refusal of the twin (``None``: admitted, as it must be)."""

    @property
    def named(self) -> bool:
        """The attack was refused with the words of the rule it expects."""
        return self.refusal is not None and self.attack.named_in(self.refusal)

    @property
    def held(self) -> bool:
        """Refused by the rule it names, and its compliant twin admitted."""
        return self.named and self.twin_refusal is None

    def as_dict(self) -> dict[str, Any]:
        """The verdict as the JSON output gives it."""
        a = self.attack
        return {
            "attack": a.name, "class": a.klass, "tenant": a.target.tenant, "zone": a.target.zone.id,
            "namespace": a.target.namespace, "tries": a.tries, "expect": a.expect, "refusal": self.refusal,
            "twinRefusal": self.twin_refusal, "held": self.held,
        }  # fmt: skip


@dataclass(frozen=True)
class FlowShare:
    """Which flow schema the zone put a tenant's requests in, against the one it should."""

    tenant: str
    zone: str
    expected: str
    own: bool


@dataclass(frozen=True)
class SuiteResult:
    """Every verdict, and each tenant's share of its home zone's API server."""

    verdicts: list[Verdict]
    shares: list[FlowShare]

    @property
    def ok(self) -> bool:
        """Every attack held and every tenant's requests were in its own flow schema."""
        return all(v.held for v in self.verdicts) and all(s.own for s in self.shares)

    def summary(self) -> str:
        """One line: how many attacks, by class, were refused by the rule they name, and twins admitted."""
        counts = Counter(v.attack.klass for v in self.verdicts)
        by_class = ", ".join(f"{klass} {counts[klass]}" for klass in CLASSES if counts[klass])
        named = sum(v.named for v in self.verdicts)
        twins = sum(v.twin_refusal is None for v in self.verdicts)
        own = sum(s.own for s in self.shares)
        return (
            f"attack suite: {len(self.verdicts)} attacks with each tenant's own token ({by_class}): {named} refused by "
            f"the rule they name, {twins} compliant twins admitted; {own} of {len(self.shares)} tenants' requests in "
            "their own API priority share"
        )


def _probe(writes: ZoneWrites, probe: Probe) -> str | None:
    """The zone's refusal of one probe (``None``: admitted); whatever it created is deleted again."""
    manifest = probe.manifest
    if probe.how == "create":
        return writes.dry_run(manifest)
    if probe.how == "patch":
        return writes.dry_run_patch(manifest, probe.patch or {})
    if probe.how == "delete":
        return writes.dry_run_delete(manifest)
    if probe.how == "pods":
        refused = writes.create(manifest)
        if refused is not None:
            return refused
        try:
            outcome = writes.pods_of(manifest["metadata"]["namespace"], manifest["metadata"]["name"])
        finally:
            writes.delete(manifest)
        return outcome.refusal if outcome.made == 0 else None
    return _fill(writes, manifest)


def _fill(writes: ZoneWrites, manifest: Mapping[str, Any]) -> str | None:
    """Create copies until the zone refuses one (its refusal), then delete them; ``None`` if it never does."""
    made: list[dict[str, Any]] = []
    try:
        for i in range(FILL_LIMIT):
            copy = {**manifest, "metadata": {**manifest["metadata"], "name": f"{manifest['metadata']['name']}-{i}"}}
            refused = writes.create(copy)
            if refused is not None:
                return refused
            made.append(copy)
        return None
    finally:
        for copy in made:
            writes.delete(copy)


def _verdict(writes: ZoneWrites, attack: Attack) -> Verdict:
    # The twin first: a ``fill`` attack leaves the quota counting its copies for a while after they are deleted.
    twin = _probe(writes, attack.twin)
    return Verdict(attack, _probe(writes, attack.attack), twin)


def tenant_attacks(stacks: LocalStacks, contracts: Mapping[str, Contract], tenant: str) -> list[Attack]:
    """The attacks of one tenant of the local family, from its contract, its zones' terms and the pack config."""
    root = stacks.settings.root
    family = family_of(load_stacksets(root / "stacks" / "stacksets.yaml"), LOCAL_PREFIX)
    catalog = stacks.federation.catalog
    terms = load_operator_terms(root / family.contracts, catalog, contracts)
    contract = contracts[tenant]
    others = [c for name, c in sorted(contracts.items()) if name != tenant]
    found = situation(contract, catalog, terms, others)
    names = pack_config.destinations(pack_config.read(root / family.policy_config)).names
    registries = sorted({r for c in others for r in c.registries})
    return attacks(found, contract, names.get(found.home.zone.country, ()), registries)


def local_contracts(stacks: LocalStacks) -> dict[str, Contract]:
    """Every contract of the local family."""
    root = stacks.settings.root
    family = family_of(load_stacksets(root / "stacks" / "stacksets.yaml"), LOCAL_PREFIX)
    return load_contracts(root / family.contracts, stacks.federation.catalog)


def run_suite(stacks: LocalStacks, tenants: Sequence[str], workers: int = 8) -> SuiteResult:
    """Every attack of each tenant against the running local federation, with the tenant's own token."""
    contracts = local_contracts(stacks)
    planned = [attack for tenant in tenants for attack in tenant_attacks(stacks, contracts, tenant)]
    with ExitStack() as stack:
        writers: dict[tuple[str, str], ZoneWrites] = {}
        for attack in planned:
            key = (attack.target.tenant, attack.target.zone.id)
            if key not in writers:
                path = stacks.identities.kubeconfig(contracts[key[0]], key[1])
                client = stack.enter_context(closing(ZoneClient(path, timeout=30)))
                writers[key] = ZoneWrites(client)

        def judge(attack: Attack) -> Verdict:
            return _verdict(writers[(attack.target.tenant, attack.target.zone.id)], attack)

        # Attacks that fill a quota run last, one at a time: meanwhile any other write there would be refused too.
        with ThreadPoolExecutor(workers) as pool:
            verdicts = list(pool.map(judge, [a for a in planned if a.attack.how != "fill"]))
        verdicts += [judge(a) for a in planned if a.attack.how == "fill"]
        shares = [_share(stacks, contracts[tenant], writers, planned) for tenant in tenants]
    return SuiteResult(verdicts, shares)


def _share(
    stacks: LocalStacks, contract: Contract, writers: Mapping[tuple[str, str], ZoneWrites], planned: Sequence[Attack]
) -> FlowShare:
    """The flow schema the tenant's home zone put its request in, read back with the zone operator's credential."""
    zone = next(a.target.zone.id for a in planned if a.target.tenant == contract.tenant)
    expected = tenant_level(contract.home_operator, contract.tenant)
    uid = writers[(contract.tenant, zone)].flow_schema()
    with closing(ZoneClient(stacks.federation.zone_dir(zone) / "operator.kubeconfig", timeout=10)) as operator:
        own = ZoneWrites(operator).flow_schema_uid(expected)
    return FlowShare(contract.tenant, zone, expected, own is not None and uid == own)


def by_class(verdicts: Sequence[Verdict]) -> dict[str, list[Verdict]]:
    """Verdicts grouped by class, in the classes' order."""
    ordered = sorted(verdicts, key=lambda v: CLASSES.index(v.attack.klass))
    return {klass: list(group) for klass, group in itertools.groupby(ordered, key=lambda v: v.attack.klass)}
