"""`edgefed plan --what-if`: every single-zone and whole-country outage of each federation, as a table or JSON.

The JSON document is described in README *Plan output*.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from edgefed.core.inputs.catalog import Catalog
from edgefed.core.placement.capacity import Amounts, Usage, in_zone, total
from edgefed.core.placement.federation import Federation
from edgefed.core.placement.whatif import ScenarioResult, what_if


@dataclass
class WhatIf:
    """The scenarios of every federation asked for."""

    results: list[tuple[Federation, list[ScenarioResult]]] = field(default_factory=list)

    @property
    def capacity_problems(self) -> list[str]:
        """Zones that cannot hold what every tenant of their catalog takes together in some scenario.

        Each tenant's what-if runs in its contracted view of the catalog; the tenants of one catalog share its
        zones, so their uses in the same scenario are added up against each zone's catalog capacity.
        """
        by_scenario: dict[tuple[str, str], list[tuple[str, Usage]]] = {}
        catalogs: dict[str, Catalog] = {}
        for federation, results in self.results:
            key = federation.members[0].config.catalog
            catalogs[key] = federation.full_catalog or federation.catalog
            tenant = federation.contract.tenant if federation.contract else ""
            for r in results:
                by_scenario.setdefault((key, r.scenario.name), []).append((tenant, r.use))
        out = []
        for (key, scenario), uses in by_scenario.items():
            for zone in sorted(catalogs[key].zones, key=lambda z: z.id):
                taken = {tenant: Amounts(*in_zone(zone, use)) for tenant, use in uses}
                together = total(taken.values())
                if together.over(zone.capacity):
                    each = "; ".join(f"{t} {a.text()}" for t, a in sorted(taken.items()) if a.cpu or a.gpus)
                    out.append(
                        f"with {scenario} down, zone {zone.id} would hold {together.text()} ({each}), over its catalog "
                        f"capacity {Amounts.of(zone.capacity).text()}"
                    )
        return out

    @property
    def ok(self) -> bool:
        """No scenario leaves a site that should survive unserved, none overcommits a zone, tenants together too."""
        return all(r.ok for _, results in self.results for r in results) and not self.capacity_problems


def run(federations: list[Federation]) -> WhatIf:
    """Re-plan each federation for each of its scenarios."""
    return WhatIf([(federation, what_if(federation)) for federation in federations])


def _zones(catalog: Catalog, use: Usage) -> list[dict[str, Any]]:
    out = []
    for zone in sorted(catalog.zones, key=lambda z: z.id):
        cap = zone.capacity
        gpus = {m: n for (zid, m), n in use.gpus.items() if zid == zone.id}
        out.append(
            {
                "id": zone.id,
                "capacity": {"cpu": cap.cpu, "memory_gib": cap.memory_gib, "gpus": dict(cap.gpus)},
                "used": {
                    "cpu": round(use.cpu.get(zone.id, 0.0), 3),
                    "memory_gib": round(use.memory_gib.get(zone.id, 0.0), 3),
                    "gpus": gpus,
                },
            }
        )
    return out


def data(report: WhatIf) -> dict[str, Any]:
    """The ``edgefed plan --what-if --json`` document."""
    scenarios = []
    for federation, results in report.results:
        for r in results:
            scenarios.append(
                {
                    "name": r.scenario.name,
                    "down": list(r.scenario.down),
                    "in_place": r.in_place,
                    "failed_over": [
                        {"stack": s.stack, "app": s.app, "site": s.site, "zone": s.zone, "latency_ms": s.latency_ms}
                        for s in r.moved
                    ],
                    "unserved": [
                        {
                            "stack": s.stack,
                            "app": s.app,
                            "site": s.site,
                            "reason": s.reason,
                            "problem": s.problem,
                            "gap": s.must_survive,
                        }
                        for s in r.unserved
                    ],
                    "overcommitted": [
                        {
                            "zone": o.zone,
                            "cpu": o.cpu,
                            "memory_gib": o.memory_gib,
                            "gpus": dict(o.gpus),
                            "takers": list(o.takers),
                        }
                        for o in r.overcommitted
                    ],
                    "zones": _zones(federation.catalog, r.use),
                    "over_contract": list(r.over_contract),
                }
            )
    gaps = sum(len(r.gaps) for _, results in report.results for r in results)
    over = sum(len(r.overcommitted) for _, results in report.results for r in results)
    return {
        "scenarios": scenarios, "gaps": gaps, "overcommitted": over, "capacity_problems": report.capacity_problems,
        "ok": report.ok,
    }  # fmt: skip


def _busiest(catalog: Catalog, use: Usage) -> str:
    best, name = 0.0, "-"
    for zone in catalog.zones:
        cap = zone.capacity
        share = max(
            use.cpu.get(zone.id, 0.0) / cap.cpu if cap.cpu else 0.0,
            use.memory_gib.get(zone.id, 0.0) / cap.memory_gib if cap.memory_gib else 0.0,
        )
        if share > best:
            best, name = share, zone.id
    return f"{name} {best:.0%}"


def lines(report: WhatIf) -> list[str]:
    """The table: one line per scenario, then what moved, what is unserved and why, what overflows."""
    out: list[str] = []
    for federation, results in report.results:
        names = ", ".join(m.stack for m in federation.members)
        out.append(f"== what-if for the federation of {names}: {len(results)} scenarios (every zone, every country)")
        out.append(f"   {'scenario':44} {'in place':>8} {'failed over':>11} {'unserved':>8} {'gaps':>4}  busiest zone")
        for r in results:
            out.append(
                f"   {r.scenario.name:44} {r.in_place:8} {len(r.moved):11} {len(r.unserved):8} {len(r.gaps):4}  "
                f"{_busiest(federation.catalog, r.use)}{'' if r.ok else '  << NOT OK'}"
            )
            for s in r.moved:
                out.append(f"      failed over: {s.stack}/{s.app} {s.site} -> {s.zone} at {s.latency_ms:.1f} ms")
            for s in r.unserved:
                tag = "GAP" if s.must_survive else "unserved"
                out.append(f"      {tag}: {s.stack}/{s.app} {s.site} ({s.reason}): {s.problem}")
            out += [f"      OVER CONTRACT: {message}" for message in r.over_contract]
            for o in r.overcommitted:
                cap = federation.catalog.zone(o.zone).capacity
                out.append(
                    f"      OVERCOMMIT {o.zone}: cpu {o.cpu:g}/{cap.cpu:g}, memory {o.memory_gib:g}/{cap.memory_gib:g} "
                    f"GiB once {', '.join(o.takers)} take over (standby-only reservations)"
                )
        reasons = Counter(s.reason for r in results for s in r.unserved)
        summary = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items(), key=lambda kv: str(kv[0])))
        out.append(f"   unserved across scenarios by reason: {summary or 'none'}")
    out += [f"OVER CAPACITY {problem}" for problem in report.capacity_problems]
    out.append(
        "what-if: OK" if report.ok else "what-if: NOT OK: a site meant to survive is unserved, or a zone overflows"
    )
    return out
