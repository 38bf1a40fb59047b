"""The federation plan: every site of every country stack of one catalog, placed together.

Zones are shared between country stacks (Brussels backs up French and German sites at once; Munich serves
German sites and is a French failover), so zone capacity is only meaningful for the whole federation. A
federation is the set of committed stack files that name the same catalog; its plan is a pure function of
that catalog, the app specs, every member stack and the federation-wide outage state
(``stacks/outages.yaml``). Each country stack deploys exactly its slice of it.

Order, so that the plan is deterministic: members by stack name; inside a member, apps in the stack's
order; each placement rule runs for every (stack, app) before the next rule (see :mod:`edgefed.core.placement.placer`),
so that no country's own sites ever lose capacity to another country's standbys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog, Zone
from edgefed.core.inputs.contract import Contract
from edgefed.core.inputs.errors import ConfigError, validate
from edgefed.core.inputs.fields import Name, StrictModel
from edgefed.core.inputs.jurisdiction import DEFAULT_EU_JURISDICTION_CLASSES, pack_eu_law_classes
from edgefed.core.inputs.stackconfig import (
    NAMESPACE,
    StackConfig,
    check_against_catalog,
    check_against_contract,
    load_apps,
    load_stack,
    parse_config,
    raw_from_stack_file,
    secret_keys_of,
)
from edgefed.core.inputs.stacksets import family_pack_config
from edgefed.core.inputs.yamlfile import load_yaml
from edgefed.core.placement.capacity import Amounts, SharedZone, exceeds, reserved_replicas
from edgefed.core.placement.contracts import ContractProblem, allocated_in, contracted_view, plans_within_contract
from edgefed.core.placement.placer import PlacementError, Placer, Plan, Request, SitePlacement, with_drained

STACKS_DIR = Path("stacks")
"""Where the committed stack files live, relative to the project root."""
FEDERATION_KEYS = ("catalog", "outages")
"""Settings that belong to the whole federation: a stack's running value applies to every member."""


class OutageState(StrictModel):
    """The federation-wide outage state: ``stacks/outages.yaml`` (or the file a stack's ``outages`` names)."""

    unavailable_zones: tuple[Name, ...] = ()
    """Zones that are down now, in any country. Default none. Every member stack plans with the same
    list: an outage in France also changes where German or Belgian sites fail over."""


def load_outages(path: Path, catalog: Catalog, catalog_source: str) -> frozenset[str]:
    """The zones an outage file marks down, each checked against the catalog."""
    if not path.is_file():
        raise ConfigError(
            str(path), [("", "is missing: the federation's outage state; create it with `unavailable_zones: []`")]
        )
    state = validate(OutageState, load_yaml(path) or {}, str(path))
    problems = [
        (
            f"unavailable_zones[{i}]",
            f"{zone!r} is not a zone of {catalog_source}; allowed: {', '.join(sorted(catalog.zone_by_id))}",
        )
        for i, zone in enumerate(state.unavailable_zones)
        if zone not in catalog.zone_by_id
    ]
    if problems:
        raise ConfigError(str(path), problems)
    return frozenset(state.unavailable_zones)


@dataclass(frozen=True)
class Member:
    """One country stack of the federation, validated."""

    stack: str
    """Stack name (``acme-fr``, ``local-nordwind-de``)."""
    source: str
    """Its stack file, for error messages."""
    config: StackConfig
    """Its settings."""
    specs: tuple[AppSpec, ...]
    """Its apps, each with the sites in the stack's country only."""


@dataclass(frozen=True)
class Federation:
    """A catalog, its member stacks and its outage state: everything the federation plan depends on."""

    catalog: Catalog
    """The shared catalog."""
    members: tuple[Member, ...]
    """Member stacks, by stack name."""
    unavailable: frozenset[str]
    """Zones down now (the outage state)."""
    outages_source: str
    """The outage file, for messages."""
    contract: Contract | None = None
    """The tenant's contract: ``catalog`` is then the contracted view (each zone's capacity is what the
    contract allocates there), and every plan must fit it per country stack and zone."""
    eu_law_classes: tuple[str, ...] = DEFAULT_EU_JURISDICTION_CLASSES
    """Data classes placed only on operators under EU/EEA law (the family's pack config)."""
    full_catalog: Catalog | None = None
    """The catalog itself, with each zone's real capacity (``catalog`` is then the tenant's view of it)."""

    def placer(self) -> Placer:
        """A placer on the federation's catalog that honours its jurisdiction rule."""
        return Placer(self.catalog, eu_law_classes=self.eu_law_classes)

    @property
    def contract_source(self) -> str:
        """The tenant's contract file, as the members' stack config names it."""
        return self.members[0].config.contract

    def member(self, stack: str) -> Member:
        """The member with this name; ``KeyError`` naming the members otherwise."""
        for member in self.members:
            if member.stack == stack:
                return member
        raise KeyError(f"stack {stack!r} is not a member; members: {', '.join(m.stack for m in self.members)}")


def _federation_key(path: Path) -> tuple[str, str] | None:
    """(catalog, tenant) of a committed stack file; ``None`` for an operator's zone stack, which plans nothing."""
    raw = raw_from_stack_file(path)
    if raw.get(f"{NAMESPACE}:operator"):
        return None
    default: str = StackConfig.model_fields["catalog"].default
    return raw.get(f"{NAMESPACE}:catalog", default), raw.get(f"{NAMESPACE}:tenant", "")


def siblings(root: Path, stack: str) -> list[str]:
    """The committed stacks of the federation of ``stack``: the same tenant's stacks on the same catalog."""
    own = root / STACKS_DIR / f"Pulumi.{stack}.yaml"
    key = _federation_key(own) if own.is_file() else None
    names = []
    for path in sorted((root / STACKS_DIR).glob("Pulumi.*.yaml")):
        name = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        if name != stack and key is not None and _federation_key(path) == key:
            names.append(name)
    return names


def load_federation(root: Path, stack: str, raw: Mapping[str, str], secret_keys: Sequence[str]) -> Federation:
    """The federation of ``stack``, whose running config is ``raw``; the other members from their files.

    The federation is the tenant's stacks on one catalog, placed in the contracted view of the catalog.
    The running stack's federation-wide settings (catalog, outage file) apply to every member, so that a
    job that moves the catalog or the outage state (the local drill) moves it for the whole federation.
    Any member's bad input is an error: a plan that cannot see the whole federation is refused.
    """
    config, catalog, specs, contract = load_stack(raw, secret_keys, root, stack)
    members = [Member(stack, f"stacks/Pulumi.{stack}.yaml", config, tuple(specs))]
    shared = {f"{NAMESPACE}:{key}": raw[f"{NAMESPACE}:{key}"] for key in FEDERATION_KEYS if f"{NAMESPACE}:{key}" in raw}
    keys = secret_keys_of(catalog)
    for name in siblings(root, stack):
        source = f"stacks/Pulumi.{name}.yaml"
        sibling_raw = {**raw_from_stack_file(root / source), **shared}
        sibling = parse_config(sibling_raw, [], keys, source)
        assert isinstance(sibling, StackConfig)  # siblings are tenant stacks (_federation_key)
        check_against_catalog(sibling, catalog, source)
        check_against_contract(sibling, contract, source)
        members.append(Member(name, source, sibling, tuple(load_apps(sibling, root, source))))
    members.sort(key=lambda m: m.stack)
    by_country: dict[str, Member] = {}
    for member in members:
        other = by_country.setdefault(member.config.country, member)
        if other is not member:
            raise ConfigError(
                member.source,
                [
                    (
                        f"{NAMESPACE}:country",
                        f"{member.config.country!r} is already the country of stack {other.stack!r} ({other.source}) "
                        "in the same federation; one stack per country",
                    )
                ],
            )
    unavailable = load_outages(root / config.outages, catalog, config.catalog)
    source, pack = family_pack_config(root, stack)
    try:
        classes = pack_eu_law_classes(pack)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        raise ConfigError(source, [(field, message)]) from None
    view = contracted_view(catalog, contract)
    return Federation(view, tuple(members), unavailable, config.outages, contract, classes, catalog)


@dataclass(frozen=True)
class Claim:
    """What one app of one stack takes in one zone."""

    stack: str
    app: str
    role: str
    """primary, standby or drained."""
    replicas: int
    """Replicas deployed there."""
    reserved_replicas: int
    """Replicas whose capacity the plan holds there (a ``full`` standby holds the primary's count)."""
    sites: tuple[str, ...]
    cpu: float
    """Cores per replica."""
    memory_mib: int
    """MiB per replica."""
    gpus: Mapping[str, int]
    """GPUs per replica, by model."""


@dataclass(frozen=True)
class ZoneUse:
    """One zone's capacity and what the plan takes of it."""

    zone: Zone
    cpu: float
    memory_gib: float
    gpus: Mapping[str, int]
    claims: tuple[Claim, ...]

    @property
    def over(self) -> bool:
        """True when the claims exceed the zone's capacity (never for a plan; what-if projections can)."""
        return exceeds(self.zone.capacity, self.cpu, self.memory_gib, self.gpus)

    def describe(self) -> str:
        """``zone X (capacity ...; used ...)``: the zone, its capacity and its use."""
        cap = self.zone.capacity
        gpus = "".join(f", {m} {self.gpus.get(m, 0)}/{n}" for m, n in sorted(cap.gpus.items()))
        return (
            f"zone {self.zone.id} (used cpu {self.cpu:g}/{cap.cpu:g}, memory {self.memory_gib:g}/{cap.memory_gib:g} GiB"
            f"{gpus})"
        )


@dataclass(frozen=True)
class Problem:
    """A site the federation cannot serve as asked, for a configuration reason (the inputs must change)."""

    stack: str
    app: str
    site: SitePlacement
    message: str
    """What a reviewer reads: the site, why, and for capacity the zone with everything that uses it."""


def _claims(spec: AppSpec, stack: str, plan: Plan, catalog: Catalog) -> list[Claim]:
    gpu = spec.resources.gpu
    out = []
    for a in plan.zones:
        out.append(
            Claim(
                stack,
                spec.name,
                a.role,
                a.replicas,
                reserved_replicas(spec, a.role, catalog),
                a.sites,
                spec.resources.cpu,
                spec.resources.memory_mib,
                {gpu.model: gpu.count} if gpu else {},
            )
        )
    return out


@dataclass(frozen=True)
class FederationPlan:
    """Every member's plans, placed together; the zones' use; the problems."""

    federation: Federation
    plans: Mapping[str, Mapping[str, Plan]]
    """Stack to app to plan, with the outage state applied (drained zones kept): what is deployed."""
    healthy: Mapping[str, Mapping[str, Plan]]
    """The same with every zone up: what buckets follow, so that an outage never moves data."""

    def slice(self, stack: str) -> dict[str, Plan]:
        """The plans one stack deploys."""
        return dict(self.plans[stack])

    def healthy_slice(self, stack: str) -> dict[str, Plan]:
        """One stack's plans with every zone up."""
        return dict(self.healthy[stack])

    @cached_property
    def zones(self) -> tuple[ZoneUse, ...]:
        """Every zone of the catalog with its use, by zone id."""
        catalog = self.federation.catalog
        specs = {(m.stack, s.name): s for m in self.federation.members for s in m.specs}
        claims: dict[str, list[Claim]] = {}
        for stack, plans in self.plans.items():
            for app, plan in plans.items():
                for claim, a in zip(_claims(specs[(stack, app)], stack, plan, catalog), plan.zones, strict=True):
                    claims.setdefault(a.zone, []).append(claim)
        out = []
        for zone in sorted(catalog.zones, key=lambda z: z.id):
            mine = tuple(claims.get(zone.id, ()))
            gpus: dict[str, int] = {}
            for c in mine:
                for model, n in c.gpus.items():
                    gpus[model] = gpus.get(model, 0) + n * c.reserved_replicas
            cpu = sum(c.cpu * c.reserved_replicas for c in mine)
            memory = sum(c.memory_mib * c.reserved_replicas for c in mine) / 1024
            out.append(ZoneUse(zone, cpu, memory, gpus, mine))
        return tuple(out)

    def zone_use(self, zone_id: str) -> ZoneUse:
        """One zone's use."""
        return next(z for z in self.zones if z.zone.id == zone_id)

    @cached_property
    def problems(self) -> tuple[Problem, ...]:
        """Every site of every member with a configuration problem, with the full zone's claims named."""
        out = []
        for stack, plans in self.plans.items():
            for app, plan in plans.items():
                for site in plan.problems:
                    if site.cause != "configuration":
                        continue
                    message = f"stack {stack}, app {app}, site {site.site} ({site.country}): {site.problem}"
                    if site.full_zone is not None:
                        use = self.zone_use(site.full_zone)
                        demands = "; ".join(
                            f"{c.stack}/{c.app} {c.role} x{c.reserved_replicas} for {', '.join(c.sites)}"
                            for c in use.claims
                        )
                        message += f"; {use.describe()} is taken by: {demands or 'nothing'}"
                    out.append(Problem(stack, app, site, message))
        return tuple(out)

    @cached_property
    def contract_problems(self) -> tuple[ContractProblem, ...]:
        """Country stacks whose plan would use more of a zone than the tenant's contract allocates there."""
        federation = self.federation
        if federation.contract is None:
            return ()
        members = [(m.stack, m.config.country, m.specs) for m in federation.members]
        return tuple(plans_within_contract(federation.contract, federation.contract_source, members, self.plans))

    def touched_zones(self, stack: str) -> frozenset[str]:
        """Zones a stack deploys to."""
        return frozenset(a.zone for plan in self.plans[stack].values() for a in plan.zones)

    def problems_for(self, stack: str) -> list[Problem]:
        """Problems of the stack's own sites, and problems in a zone the stack deploys to."""
        touched = self.touched_zones(stack)
        return [p for p in self.problems if p.stack == stack or (p.site.full_zone in touched)]

    def check_zone_list(self, stack: str) -> None:
        """The stack's ``zones`` must list every zone its slice deploys to (it holds their credentials)."""
        member = self.federation.member(stack)
        missing = sorted(self.touched_zones(stack) - set(member.config.zones))
        if missing:
            raise ConfigError(
                member.source,
                [
                    (
                        f"{NAMESPACE}:zones",
                        f"lacks {', '.join(missing)}, which the federation plan gives this stack's sites; "
                        "add them (or run `edgefed render`)",
                    )
                ],
            )

    def raise_for(self, stack: str) -> None:
        """Refuse to deploy ``stack``: ConfigError for a short zone list, PlacementError for a problem.

        A problem counts when it is in the stack's own sites or in a zone the stack deploys to.
        """
        self.check_zone_list(stack)
        messages = [p.message for p in self.problems_for(stack)]
        messages += [p.message for p in self.contract_problems if p.stack == stack]
        if messages:
            lines = [f"stack {stack}: the federation plan has {len(messages)} problem(s) in its sites or zones:"]
            lines += [f"  - {message}" for message in messages]
            raise PlacementError("\n".join(lines))


def plan_federation(
    federation: Federation, unavailable: Iterable[str] = (), *, placer: Placer | None = None
) -> FederationPlan:
    """Place every site of every member together; ``unavailable`` adds to the federation's outage state."""
    placer = placer or federation.placer()
    down = federation.unavailable | frozenset(unavailable)
    requests = [(m.stack, Request(spec, frozenset(m.config.zones))) for m in federation.members for spec in m.specs]
    placed = placer.place_together([r for _, r in requests], unavailable=down)
    healthy = placer.place_together([r for _, r in requests]) if down else placed
    plans: dict[str, dict[str, Plan]] = {m.stack: {} for m in federation.members}
    healthy_plans: dict[str, dict[str, Plan]] = {m.stack: {} for m in federation.members}
    for (stack, _), plan, whole in zip(requests, placed, healthy, strict=True):
        plans[stack][plan.app] = with_drained(plan, whole, down)
        healthy_plans[stack][plan.app] = whole
    return FederationPlan(federation, plans, healthy_plans)


def shared_zones(plans: Sequence[FederationPlan]) -> list[SharedZone]:
    """Every zone of the plans' catalog as all their tenants use it: allocations and reservations per tenant.

    ``plans`` are the federation plans of one catalog, one per tenant; each zone's catalog capacity is then
    checked against everything they take there together (:attr:`SharedZone.problem`), which no single
    tenant's plan (in its contracted view of the catalog) can see.
    """
    if not plans:
        return []
    catalog = plans[0].federation.full_catalog or plans[0].federation.catalog
    out = []
    for zone in sorted(catalog.zones, key=lambda z: z.id):
        allocated, reserved = {}, {}
        for plan in plans:
            contract = plan.federation.contract
            tenant = contract.tenant if contract else ""
            if contract is not None:
                allocated[tenant] = allocated_in(contract, zone.id)
            use = plan.zone_use(zone.id)
            reserved[tenant] = Amounts(use.cpu, use.memory_gib, dict(use.gpus))
        out.append(SharedZone(zone, allocated, reserved))
    return out
