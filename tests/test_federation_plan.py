"""The federation plan: capacity shared across country stacks, failover capacity, what-if, bad input."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgefed.core.inputs.appspec import AppSpec
from edgefed.core.inputs.catalog import Catalog
from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.stackconfig import StackConfig, raw_from_stack_file
from edgefed.core.placement.federation import Federation, Member, load_federation, plan_federation
from edgefed.core.placement.placer import PlacementError, Placer, Request, Trace
from edgefed.core.placement.whatif import scenarios, what_if

from .conftest import EDGEFED, ROOT


def zone(
    zid: str, country: str, lat: float, lon: float, cpu: float, gpus: dict[str, int] | None = None
) -> dict[str, Any]:
    return {
        "id": zid, "name": zid, "operator": "op", "country": country, "region": "r", "city": zid,
        "location": {"latitude": lat, "longitude": lon}, "capacity": {"cpu": cpu, "memory_gib": 64, "gpus": gpus or {}},
        "api_endpoint": f"https://api.{zid}.example:6443",
        "kubeconfig_secret": f"kc-{zid}",
        "object_storage": {"endpoint": "https://s3.example.eu", "region": "eu", "credentials_secret": "s3"},
    }  # fmt: skip


def border_catalog(brussels_cpu: float, failover_capacity: str = "full") -> Catalog:
    """Paris (FR), Cologne (DE) and a shared Brussels (BE), the only failover within budget of both sites."""
    return Catalog.model_validate(
        {
            "failover_capacity": failover_capacity,
            "operators": [{"id": "op", "name": "Op", "home_countries": ["FR"], "jurisdiction": "FR"}],
            "countries": [{"code": c, "name": c} for c in ("FR", "DE", "BE")],
            "zones": [
                zone("paris", "FR", 48.86, 2.35, 64),
                zone("cologne", "DE", 50.94, 6.96, 64),
                zone("brussels", "BE", 50.85, 4.35, brussels_cpu),
            ],
        }
    )


def line_app(country: str, site: str, lat: float, lon: float, **extra: Any) -> AppSpec:
    return AppSpec.model_validate(
        {
            "name": "line", "image": "registry.edgefed.eu/line:1", "resources": {"cpu": 2, "memory_mib": 1024},
            "replicas_per_zone": 2, "standby_replicas": 1, "residency": "eu",
            "sites": [{"name": site, "country": country, "location": {"latitude": lat, "longitude": lon},
                       "latency_budget_ms": 6}],
            **extra,
        }
    )  # fmt: skip


def member(stack: str, country: str, spec: AppSpec) -> Member:
    config = StackConfig(
        country=country, tenant="acme", contract="<test>", zones=("paris", "cologne", "brussels"), apps=(spec.name,)
    )
    return Member(stack, f"stacks/Pulumi.{stack}.yaml", config, (spec,))


def border_federation(
    brussels_cpu: float, failover_capacity: str = "full", down: frozenset[str] = frozenset()
) -> Federation:
    fr = member("fr", "FR", line_app("FR", "lille", 50.63, 3.06))
    de = member("de", "DE", line_app("DE", "aachen", 50.78, 6.08))
    return Federation(border_catalog(brussels_cpu, failover_capacity), (de, fr), down, "stacks/outages.yaml")


def test_each_stack_alone_fits_but_together_they_oversubscribe_the_shared_zone():
    alone = Federation(border_catalog(6), (border_federation(6).members[0],), frozenset(), "o")
    assert plan_federation(alone).problems == ()
    plan = plan_federation(border_federation(6))
    assert [(p.stack, p.site.site, p.site.full_zone) for p in plan.problems] == [("fr", "lille", "brussels")]
    expected = (
        "stack fr, app line, site lille (FR): failover impossible: no zone in BE, DE within budget has capacity "
        "left (brussels is full); zone brussels (used cpu 4/6, memory 2/64 GiB) is taken by: de/line standby x2 "
        "for aachen"
    )
    assert plan.problems[0].message == expected
    # Both stacks touch Brussels: both refuse, each naming the zone and every stack/app/site using it.
    for stack in ("fr", "de"):
        with pytest.raises(PlacementError) as caught:
            plan.raise_for(stack)
        assert str(caught.value) == (
            f"stack {stack}: the federation plan has 1 problem(s) in its sites or zones:\n  - {expected}"
        )


def test_full_failover_capacity_reserves_the_primary_count_and_standby_shows_the_overcommit():
    full = plan_federation(border_federation(8))
    assert full.problems == ()
    assert full.zone_use("brussels").cpu == 8  # 2 sites x 2 replicas x 2 cores reserved
    assert [c.replicas for c in full.zone_use("brussels").claims] == [1, 1]  # only the warm replicas run
    assert all(r.ok for r in what_if(full.federation))

    # standby-only: the plan fits (2 + 2 cores), but when France fails Lille's full load does not.
    standby = border_federation(5, "standby")
    assert plan_federation(standby).problems == ()
    results = {r.scenario.name: r for r in what_if(standby)}
    over = results["zone paris"].overcommitted
    assert [(o.zone, o.cpu, o.takers) for o in over] == [("brussels", 6.0, ("fr/line",))]
    assert not results["zone paris"].ok
    # The re-plan itself never overcommits: it serves Lille from Brussels only if it fits.
    assert results["zone paris"].use.cpu["brussels"] <= 5


def test_a_site_meant_to_survive_that_cannot_is_a_gap_and_restricted_is_not():
    fr = member("fr", "FR", line_app("FR", "lille", 50.63, 3.06, failover="none"))
    federation = Federation(border_catalog(64), (fr,), frozenset(), "o")
    paris = {r.scenario.name: r for r in what_if(federation)}["zone paris"]
    assert [(s.site, s.reason, s.must_survive) for s in paris.unserved] == [("lille", "failover-none", False)]
    assert paris.ok
    secret = member("fr", "FR", line_app("FR", "lille", 50.63, 3.06, data_classification="restricted", failover="none", image=(
        "registry.edgefed.eu/line:1@sha256:" + "a" * 64)))  # fmt: skip
    paris = what_if(
        Federation(border_catalog(64), (secret,), frozenset(), "o"), only=[scenarios(border_catalog(64))[2]]
    )
    assert [(s.site, s.reason, s.zone) for s in paris[0].unserved] == [("lille", "restricted", None)]
    # A site that should survive but whose only failover zone is too small: a gap.
    tight = border_federation(3, "standby")
    paris = {r.scenario.name: r for r in what_if(tight)}["zone paris"]
    assert [(s.site, s.reason) for s in paris.gaps] == [("lille", "capacity")]


def test_every_committed_stack_plans_cleanly_and_survives_every_single_outage():
    result = subprocess.run([*EDGEFED, "plan", "--what-if", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    data = json.loads(result.stdout)
    names = {s["name"] for s in data["scenarios"]}
    assert {"zone orange-fr-paris", "country FR", "country DE", "zone local-orange-fr-paris"} <= names
    country_fr = next(s for s in data["scenarios"] if s["name"] == "country FR")
    assert {u["reason"] for u in country_fr["unserved"]} == {"restricted"}
    assert {(f["site"], f["zone"]) for f in country_fr["failed_over"]} >= {("lille-plant", "orange-be-brussels")}
    assert all(set(z) == {"id", "capacity", "used"} for z in country_fr["zones"])


def test_plan_json_has_the_documented_shape():
    result = subprocess.run([*EDGEFED, "plan", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"zones", "assignments", "problems"} <= set(data)
    brussels = next(z for z in data["zones"] if z["id"] == "orange-be-brussels")
    assert set(brussels) >= {"id", "capacity", "used"} and set(brussels["used"]) == {"cpu", "memory_gib", "gpus"}
    keys = {"stack", "app", "sites", "zone", "role", "replicas", "cpu", "memory_mib", "gpus"}
    assert all(keys <= set(a) for a in data["assignments"])
    robot = next(a for a in data["assignments"] if a["app"] == "robot-control" and a["role"] == "primary")
    assert robot["cpu"] == 1 and robot["memory_mib"] == 1024  # per replica


# Bad input: one clear error each, nothing deployed -------------------------------------------------------


def repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", root / "stacks")
    return root


def load(root: Path, stack: str = "acme-fr") -> Federation:
    raw = raw_from_stack_file(root / "stacks" / f"Pulumi.{stack}.yaml")
    return load_federation(root, stack, raw, [])


def test_an_outage_file_naming_an_unknown_zone_is_refused(tmp_path):
    root = repo_copy(tmp_path)
    (root / "stacks" / "outages.yaml").write_text("unavailable_zones: [orange-fr-lyon, orange-fr-atlantis]\n")
    with pytest.raises(ConfigError) as caught:
        load(root)
    message = str(caught.value)
    assert message.startswith(f"{root}/stacks/outages.yaml: 1 problem(s), nothing was deployed:")
    assert (
        "unavailable_zones[1]: 'orange-fr-atlantis' is not a zone of stacks/catalog/federation.yaml; allowed: "
        in message
    )
    assert "orange-fr-lyon, orange-fr-marseille" in message


def test_the_outage_state_applies_to_every_stack_of_the_federation(tmp_path):
    root = repo_copy(tmp_path)
    (root / "stacks" / "outages.yaml").write_text(
        "unavailable_zones: [orange-fr-lyon, orange-fr-marseille, orange-fr-paris]\n"
    )
    plan = plan_federation(load(root, "acme-de"))
    lille = next(s for s in plan.slice("acme-fr")["robot-control"].sites if s.site == "lille-plant")
    assert lille.serving == "orange-be-brussels" and lille.failed_over
    # German sites no longer fail over to France.
    for app in plan.slice("acme-de").values():
        assert all(s.failover is None or not s.failover.startswith("orange-fr") for s in app.sites)


def test_two_stacks_for_one_country_are_refused(tmp_path):
    root = repo_copy(tmp_path)
    shutil.copy(root / "stacks" / "Pulumi.acme-fr.yaml", root / "stacks" / "Pulumi.acme-france.yaml")
    with pytest.raises(ConfigError) as caught:
        load(root, "acme-fr")
    assert str(caught.value) == (
        "stacks/Pulumi.acme-france.yaml: 1 problem(s), nothing was deployed:\n"
        "  - edgefed:country: 'FR' is already the country of stack 'acme-fr' (stacks/Pulumi.acme-fr.yaml) in the "
        "same federation; one stack per country"
    )


def test_a_site_in_a_country_without_a_zone_is_refused_by_render(tmp_path):
    root = repo_copy(tmp_path)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    spec = root / "stacks" / "apps" / "robot-control.yaml"
    spec.write_text(
        spec.read_text().replace(
            "  - {name: zaragoza-plant,",
            "  - {name: luxembourg-kirchberg, country: LU, location: {latitude: 49.63, longitude: 6.17}, "
            "latency_budget_ms: 10}\n  - {name: zaragoza-plant,",
        )
    )
    result = subprocess.run([*EDGEFED, "render", "--check"], capture_output=True, text=True, cwd=root)
    assert result.returncode == 2, "bad input"
    assert (
        f"{spec}: 1 problem(s), nothing was deployed:\n  - sites[4].country: site 'luxembourg-kirchberg' of "
        "app 'robot-control' is in LU, where stacks/catalog/federation.yaml has no zone; within its 10 ms budget "
        "it could be served from orange-be-brussels (BE) at 4.8 ms; add a LU zone to the catalog or remove the site"
    ) in result.stderr


# Properties ---------------------------------------------------------------------------------------------

COUNTRIES = ["FR", "DE", "BE", "NL", "LU", "IT", "AT", "CH"]


@st.composite
def federations(draw: Any) -> Federation:
    countries = [c for c in COUNTRIES if c != "CH"]
    zones = [
        zone(f"z{i}", draw(st.sampled_from(countries)), draw(st.floats(44, 53)), draw(st.floats(0, 14)),
             draw(st.sampled_from([0, 2, 4, 8, 16])), draw(st.sampled_from([{}, {"l4": 1}, {"l4": 4}])))
        for i in range(draw(st.integers(1, 9)))
    ]  # fmt: skip
    catalog = Catalog.model_validate(
        {
            "failover_capacity": draw(st.sampled_from(["standby", "full"])),
            "operators": [{"id": "op", "name": "Op", "home_countries": ["FR"]}],
            "countries": [{"code": c, "name": c} for c in countries],
            "zones": zones,
        }
    )
    members = []
    stack_countries = draw(st.lists(st.sampled_from(countries), min_size=1, max_size=3, unique=True))
    for cc in stack_countries:
        specs = []
        for a in range(draw(st.integers(1, 2))):
            restricted = draw(st.booleans())
            sites = [
                {"name": f"s{i}", "country": cc, "location": {"latitude": draw(st.floats(44, 53)),
                 "longitude": draw(st.floats(0, 14))}, "latency_budget_ms": draw(st.sampled_from([5, 10, 20]))}
                for i in range(draw(st.integers(1, 3)))
            ]  # fmt: skip
            specs.append(
                AppSpec.model_validate(
                    {
                        "name": f"app{a}", "image": "registry.edgefed.eu/a:1" + ("@sha256:" + "b" * 64 if restricted else ""),
                        "resources": {"cpu": draw(st.sampled_from([0.5, 1, 2])), "memory_mib": 512,
                                      **({"gpu": {"model": "l4"}} if draw(st.booleans()) else {})},
                        "replicas_per_zone": draw(st.integers(1, 3)), "standby_replicas": draw(st.integers(0, 2)),
                        "data_classification": "restricted" if restricted else "internal",
                        "failover": "none" if restricted else draw(st.sampled_from(["none", "neighbour", "any-in-residency"])),
                        "sites": sites,
                    }
                )
            )  # fmt: skip
        config = StackConfig(
            country=cc,
            tenant="acme",
            contract="<test>",
            zones=tuple(z["id"] for z in zones),
            apps=tuple(s.name for s in specs),
        )
        members.append(Member(cc.lower(), f"<{cc}>", config, tuple(specs)))
    down = frozenset(draw(st.lists(st.sampled_from([z["id"] for z in zones]), max_size=2)))
    return Federation(catalog, tuple(sorted(members, key=lambda m: m.stack)), down, "<outages>")


PROPERTIES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(federations())
def test_no_zone_is_over_capacity_and_restricted_data_stays_home_in_any_scenario(federation):
    plan = plan_federation(federation)
    assert not any(use.over for use in plan.zones)
    for result in what_if(federation):
        for zone_ in federation.catalog.zones:
            cap = zone_.capacity
            assert result.use.cpu.get(zone_.id, 0.0) <= cap.cpu + 1e-9
            assert all(n <= cap.gpus.get(m, 0) for (zid, m), n in result.use.gpus.items() if zid == zone_.id)
        for moved in result.moved:
            spec = next(s for m in federation.members if m.stack == moved.stack for s in m.specs if s.name == moved.app)
            assert spec.data_classification != "restricted", "restricted data never crosses a border"


@PROPERTIES
@given(federations(), st.randoms(use_true_random=False))
def test_the_plan_is_deterministic_and_a_replay_equals_a_plan_from_scratch(federation, rnd: random.Random):
    first = plan_federation(federation)
    shuffled = list(federation.members)
    rnd.shuffle(shuffled)
    again = Federation(federation.catalog, tuple(sorted(shuffled, key=lambda m: m.stack)), federation.unavailable, "o")
    assert plan_federation(again).plans == first.plans
    placer = Placer(federation.catalog)
    requests = [Request(spec) for m in federation.members for spec in m.specs]
    trace = Trace()
    placer.place_together(requests, unavailable=federation.unavailable, trace=trace)
    for scenario in scenarios(federation.catalog):
        down = federation.unavailable | frozenset(scenario.down)
        assert placer.place_together(requests, unavailable=down, replay=trace) == placer.place_together(
            requests, unavailable=down
        ), scenario


# Placement diff between two revisions ------------------------------------------------------------------


def git_repo(tmp_path: Path) -> Path:
    root = repo_copy(tmp_path)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.eu", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.eu", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    return root


def test_a_contract_change_moves_sites_and_the_diff_says_another_change_moved_them(tmp_path):
    root = git_repo(tmp_path)
    contract = root / "stacks" / "tenants" / "federation" / "acme.yaml"
    text = contract.read_text()
    head = text.replace(
        "vodafone-it-turin: {cpu: 12.0, memory_gib: 20}", "vodafone-it-turin: {cpu: 2.0, memory_gib: 20}"
    )
    assert head != text
    contract.write_text(head)
    result = subprocess.run([*EDGEFED, "plan", "--diff", "HEAD", "--json"], capture_output=True, text=True, cwd=root)
    data = json.loads(result.stdout)
    moved = [s for s in data["sites"] if s["moved_by_other_change"]]
    assert moved, data["sites"]
    assert all(s["before"][1] == "vodafone-it-turin" or s["before"][0] == "vodafone-it-turin" for s in moved)
    turin_use = next(z for z in data["zones"] if z["zone"] == "vodafone-it-turin")
    assert turin_use["after"][0] < turin_use["before"][0]
    summary = subprocess.run(
        [*EDGEFED, "plan", "--diff", "HEAD", "--markdown"], capture_output=True, text=True, cwd=root
    ).stdout
    assert "(moved by another change)" in summary and "```mermaid" in summary and "graph LR" in summary


def test_the_diff_fails_when_a_contract_leaves_a_site_no_room_to_fail_over(tmp_path):
    root = git_repo(tmp_path)
    contract = root / "stacks" / "tenants" / "federation" / "acme.yaml"
    text = contract.read_text()
    contract.write_text(
        text.replace(
            "orange-be-brussels: {cpu: 12.0, memory_gib: 20}", "orange-be-brussels: {cpu: 1.0, memory_gib: 20}"
        )
    )
    # Lille's only failover within a 5 ms budget is Brussels, where the contract now allocates too little.
    robot = root / "stacks" / "apps" / "robot-control.yaml"
    robot.write_text(
        robot.read_text().replace("longitude: 3.06}, latency_budget_ms: 10}", "longitude: 3.06}, latency_budget_ms: 5}")
    )
    result = subprocess.run([*EDGEFED, "plan", "--diff", "HEAD"], capture_output=True, text=True, cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NEW N-1 GAP" in result.stdout and "acme-fr/robot-control lille-plant unserved (capacity)" in result.stdout
    assert result.stdout.rstrip().endswith("plan diff: NOT OK (a problem in the head, or a new N-1 gap)")


def test_a_zone_whose_catalog_capacity_is_below_what_the_contracts_sell_is_a_plan_problem(tmp_path):
    """Brussels cut to 3 CPUs while acme's contract allocates 16 there: each tenant's plan (in its contracted view)
    fits, but the federation plan adds every tenant's contracts and reservations against the catalog."""
    root = repo_copy(tmp_path)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    path = root / "stacks" / "catalog" / "federation.yaml"
    catalog = yaml.safe_load(path.read_text())
    next(z for z in catalog["zones"] if z["id"] == "orange-be-brussels")["capacity"]["cpu"] = 3
    path.write_text(yaml.safe_dump(catalog, sort_keys=False))
    result = subprocess.run([*EDGEFED, "plan", "--json"], capture_output=True, text=True, cwd=root)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    problem = (
        "zone orange-be-brussels: its catalog capacity is cpu 3, memory 64 GiB; the contracts allocate cpu 16, memory "
        "24 GiB there (acme cpu 16, memory 24 GiB) and the tenants' plans reserve cpu 8, memory 12 GiB (acme cpu 8, "
        "memory 12 GiB): the zone cannot hold what its operator's contracts promise"
    )
    assert data["capacity_problems"] == [problem]
    brussels = next(z for z in data["catalog_zones"] if z["id"] == "orange-be-brussels")
    assert (brussels["capacity"]["cpu"], brussels["used"]["cpu"]) == (3, 8)
    assert brussels["tenants"]["acme"] == {
        "used": {"cpu": 8, "memory_gib": 12, "gpus": {}},
        "allocated": {"cpu": 16, "memory_gib": 24, "gpus": {}},
    }
    # Each tenant's own entry says whose view it is: its contracted capacity.
    [own] = [z for z in data["zones"] if z["id"] == "orange-be-brussels"]
    assert (own["tenant"], own["capacity"]["cpu"], own["used"]["cpu"]) == ("acme", 16, 8)
    text = subprocess.run([*EDGEFED, "plan"], capture_output=True, text=True, cwd=root)
    assert text.returncode == 1 and f"OVER CAPACITY {problem}" in text.stdout
    what_if = subprocess.run([*EDGEFED, "plan", "--what-if", "--json"], capture_output=True, text=True, cwd=root)
    assert what_if.returncode == 1
    over = json.loads(what_if.stdout)["capacity_problems"]
    assert "with zone orange-fr-lyon down, zone orange-be-brussels would hold cpu 8, memory 12 GiB (acme cpu 8, memory " \
        "12 GiB), over its catalog capacity cpu 3, memory 64 GiB" in over  # fmt: skip


def test_tenants_sharing_a_zone_are_each_named_in_the_plan(tmp_path):
    """The local catalog: acme and nordwind share Lyon; each gets its own zone entry, and the catalog zone adds both."""
    result = subprocess.run([*EDGEFED, "plan", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    lyon = [z for z in data["zones"] if z["id"] == "local-vodafone-fr-lyon"]
    assert sorted(z["tenant"] for z in lyon) == ["acme", "civitas", "nordwind"]  # civitas: nothing there
    [shared] = [z for z in data["catalog_zones"] if z["id"] == "local-vodafone-fr-lyon"]
    assert {tenant for tenant, use in shared["tenants"].items() if use["used"]["cpu"]} == {"acme", "nordwind"}
    assert shared["used"]["cpu"] == sum(z["used"]["cpu"] for z in lyon)
    assert shared["problem"] is None


def test_the_base_revision_is_read_file_by_file_on_any_python_3_11_and_nothing_else_is_written(tmp_path):
    """`plan --diff` reads the base's stacks/ without extraction filters (Python 3.11.4+ only): files and
    folders are written under the scratch folder; a link, or a path leaving it, is refused with its name."""
    import io
    import tarfile

    from edgefed_ops.errors import OpsError
    from edgefed_ops.reports.plan_diff import _write_member

    def archive(*members: tarfile.TarInfo, body: bytes = b"config: {}\n") -> tarfile.TarFile:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as out:
            for member in members:
                out.addfile(member, io.BytesIO(body) if member.isfile() else None)
        buffer.seek(0)
        return tarfile.open(fileobj=buffer)

    def file(name: str) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.size = len(b"config: {}\n")
        return info

    folder = tarfile.TarInfo("stacks")
    folder.type = tarfile.DIRTYPE
    good = archive(folder, file("stacks/Pulumi.fr.yaml"))
    for member in good.getmembers():
        _write_member(good, member, tmp_path)
    assert (tmp_path / "stacks" / "Pulumi.fr.yaml").read_text() == "config: {}\n"
    link = tarfile.TarInfo("stacks/catalog")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc"
    for bad, words in ((file("../outside.yaml"), "leaves the folder"), (link, "is neither a file nor a folder")):
        opened = archive(bad)
        with pytest.raises(OpsError, match=words):
            _write_member(opened, opened.getmembers()[0], tmp_path / "other")
    assert not (tmp_path.parent / "outside.yaml").exists() and not (tmp_path / "other").exists()
