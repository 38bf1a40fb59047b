"""Unit tests of the operations package: settings, process records, engine events, stack families, render."""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import Status
from pulumi import automation as auto

from edgefed.core.inputs.errors import ConfigError
from edgefed.core.inputs.stacksets import load_stacksets
from edgefed_ops.cli import parser
from edgefed_ops.errors import OpsError
from edgefed_ops.failover.drill import PrimaryWatcher
from edgefed_ops.local import processes
from edgefed_ops.local.zone_client import DeploymentView
from edgefed_ops.settings import Settings
from edgefed_ops.stack import render
from edgefed_ops.stack.diagnosis import explain_failure
from edgefed_ops.stack.events import SECRET_SIGNATURE, EventCollector, Outcome

from .conftest import ROOT


def test_settings_come_from_the_environment_given_not_from_import():
    default = Settings.from_environ({}, ROOT)
    assert default.federation_state == ROOT / ".state" / "federation"
    assert default.kubeconfig == ROOT / ".state" / "kubeconfig"
    assert default.local_catalog == ROOT / "stacks" / "catalog" / "local.yaml"
    moved = Settings.from_environ({"EDGEFED_FEDERATION_STATE": "/tmp/f", "EDGEFED_LOCAL_CATALOG": "/tmp/c.yaml"}, ROOT)
    assert moved.federation_state == Path("/tmp/f") and moved.kubeconfig == Path("/tmp/f/kubeconfig")
    assert moved.local_catalog == Path("/tmp/c.yaml")


def test_a_recorded_process_is_ours_until_it_exits(tmp_path):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        record = processes.record(sleeper, "/bin/sleep")  # type: ignore[arg-type]
        assert processes.is_ours(record)
        processes.save(tmp_path / "processes.json", [record])
        assert processes.load(tmp_path / "processes.json") == [record]
        processes.stop([record], grace=5)
        sleeper.wait(timeout=5)
        assert not processes.is_ours(record)
    finally:
        sleeper.kill()


def test_a_reused_pid_is_never_signalled():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        real = processes.record(sleeper, "/bin/sleep")  # type: ignore[arg-type]
        other_start = processes.ProcessRecord(real.pid, real.started + 1, real.executable)
        other_program = processes.ProcessRecord(real.pid, real.started, "kube-apiserver")
        assert not processes.is_ours(other_start) and not processes.is_ours(other_program)
        processes.stop([other_start, other_program], crash=True, grace=0.5)
        time.sleep(0.2)
        assert sleeper.poll() is None, "a process that does not match its record keeps running"
    finally:
        sleeper.kill()


def _event(**parts: object) -> auto.EngineEvent:
    return auto.EngineEvent(sequence=1, timestamp=0, **parts)  # type: ignore[arg-type]


def test_free_ports_are_never_handed_out_twice_nor_a_reserved_one_nor_an_ephemeral_one(monkeypatch, tmp_path):
    """Zones start from several threads and bind their ports later: a port is given once per process, never
    one of the catalog's fixed endpoints, and never one the kernel may take as a connection's source port."""
    from edgefed_ops.local import ports

    kernel = tmp_path / "ip_local_port_range"
    kernel.write_text("32768\t60999\n")

    class Scripted:
        """Offers the ports of a script, in order: repeats, a reserved one, then fresh ones."""

        def __init__(self, offered):
            self.offered = iter(offered)

        def randint(self, first, last):
            port = next(self.offered)
            assert first <= port <= last, f"{port} offered outside {first}-{last}"
            return port

        def choice(self, ranges):
            assert all(not (32768 <= a <= 60999 or 32768 <= b <= 60999) for a, b in ranges), ranges
            return ranges[0]

    monkeypatch.setattr(ports, "_GIVEN", set())
    monkeypatch.setattr(ports, "port_in_use", lambda port: False)
    ports.reserve([20001])
    rng = Scripted([20001, 20002, 20002, 20001, 20003])
    assert [ports.free_port(kernel, rng), ports.free_port(kernel, rng)] == [20002, 20003]


def test_fixed_ports_inside_the_ephemeral_range_are_refused_at_start_naming_them(tmp_path):
    from edgefed_ops.local import ports

    kernel = tmp_path / "ip_local_port_range"
    kernel.write_text("32768\t60999\n")
    ports.check_fixed([("zone a's API server", 24111), ("FR's object store", 61000)], kernel)
    with pytest.raises(OpsError) as refused:
        ports.check_fixed([("zone a's API server", 24111), ("zone b's API server", 39114)], kernel)
    assert str(refused.value) == (
        f"fixed port(s) inside the kernel's ephemeral range 32768-60999 ({kernel}), where any outgoing connection "
        "may take them first: zone b's API server on 39114. Move them in the catalog below 32768 or above 60999"
    )


def test_the_committed_local_catalog_keeps_its_ports_out_of_this_machines_ephemeral_range():
    from edgefed.core.inputs.catalog import load_catalog
    from edgefed_ops.local.federation import LocalFederation

    settings = Settings.from_environ({}, ROOT)
    federation = LocalFederation(settings, ROOT / "stacks" / "catalog" / "local.yaml")
    ports_used = federation.fixed_ports()
    assert len(ports_used) == 17  # seven zones, three S3 regions, two identity issuers, five platform APIs
    from edgefed_ops.local import ports

    ports.check_fixed(ports_used)
    assert load_catalog(ROOT / "stacks" / "catalog" / "local.yaml")


def test_policy_events_become_violations_with_the_reviewers_message():
    events = EventCollector(None)
    events(
        _event(
            policy_event=auto.PolicyEvent(
                message="Workloads run only images from the allow-listed registries.\nDeployment 'web': image 'nginx:1.27' comes from registry docker.io",
                color="never",
                policy_name="disallow-unlisted-registry",
                policy_pack_name="edgefed-eu-residency",
                policy_pack_version="0.1.0",
                policy_pack_version_tag="0.1.0",
                enforcement_level="mandatory",
                resource_urn="urn:pulumi:fr::edgefed::kubernetes:apps/v1:Deployment::web",
            )
        )
    )
    events(
        _event(
            summary_event=auto.SummaryEvent(
                maybe_corrupt=False, duration_seconds=1, resource_changes={"create": 2, "same": 3}, policy_packs={}
            )
        )
    )
    [violation] = events.outcome.violations
    assert (violation.policy, violation.level, violation.resource) == ("disallow-unlisted-registry", "mandatory", "web")
    assert violation.message == "Deployment 'web': image 'nginx:1.27' comes from registry docker.io"
    assert events.outcome.summary() == "2 created, 3 unchanged"


def test_a_stack_family_with_an_unknown_setting_names_the_file_field_and_allowed(tmp_path):
    path = tmp_path / "stacksets.yaml"
    path.write_text(
        "- prefix: ''\n  catalog: c.yaml\n  policy_config: policies/p/config.json\n  apps: [a]\n"
        "  settings: {rolloutTimeout: 90}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_stacksets(path)
    text = str(caught.value)
    assert str(path) in text and "[0].settings" in text
    assert (
        "'rolloutTimeout' is not a stack setting a family may set; allowed:" in text and "rolloutTimeoutSeconds" in text
    )


def test_two_families_with_one_prefix_are_refused(tmp_path):
    path = tmp_path / "stacksets.yaml"
    family = "{prefix: local-, catalog: %s, policy_config: policies/p/config.json, contracts: stacks/tenants/t, tenants: {a: [x]}}"
    path.write_text(f"- {family % 'a.yaml'}\n- {family % 'b.yaml'}\n")
    with pytest.raises(ConfigError, match="'local-' is used twice"):
        load_stacksets(path)


def test_a_stack_family_without_its_pack_config_is_refused(tmp_path):
    """No default: a family's stacks are checked against a config that trusts its own catalog only."""
    path = tmp_path / "stacksets.yaml"
    path.write_text("- {prefix: '', catalog: a.yaml, apps: [x]}\n")
    with pytest.raises(ConfigError) as caught:
        load_stacksets(path)
    assert "[0].policy_config: is required but missing" in str(caught.value)


def test_each_stack_is_checked_with_its_family_pack_config():
    from edgefed_ops.settings import Settings

    settings = Settings.from_environ({}, ROOT)
    assert settings.pack_config("fr") == ROOT / "policies" / "eu-residency" / "config.json"
    assert settings.pack_config("local-fr") == ROOT / "policies" / "eu-residency" / "config-local.json"


def test_render_keeps_what_the_user_set_and_compares_rendered_keys_by_value(tmp_path):
    rendered = render.Rendered(
        tmp_path / "Pulumi.fr.yaml", "config:\n  edgefed:country: fr\n  edgefed:apps:\n    - a\n"
    )
    rendered.path.write_text(
        "config:\n  edgefed:apps: [a]\n  edgefed:country: fr\n  edgefed:kc:\n    secure: v1:abc\nencryptionsalt: v1:salt\n"
    )
    assert render.stale(rendered) is None, "comments and order do not matter, values do"
    merged = render.merged_text(rendered)
    assert "encryptionsalt: v1:salt" in merged and "secure: v1:abc" in merged
    rendered.path.write_text("config:\n  edgefed:country: de\n  edgefed:apps: [a]\n")
    assert render.stale(rendered) == "edgefed:country is 'de', the catalog and app specs give 'fr'"


def test_every_documented_command_has_help():
    text = parser().format_help()
    for command in ("plan", "preview", "up", "refresh", "destroy", "stack", "policy-check", "render",
                    "import-zones", "federation", "deploy", "drill", "bench"):  # fmt: skip
        assert command in text


def test_the_project_config_schema_and_the_stack_models_agree_on_every_key_and_default():
    """One source of truth for settings: Pulumi.yaml's typed config block declares both kinds of stack's keys.

    A key one kind requires has the empty default there (the engine passes it to the other kind too); the
    program treats it as unset. A key with a default has the models' default.
    """
    import yaml

    from edgefed.core.inputs.stackconfig import OperatorConfig, StackConfig

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    declared = {k: v for k, v in declared.items() if ":" not in k}
    fields = {
        info.alias or name: info for model in (StackConfig, OperatorConfig) for name, info in model.model_fields.items()
    }
    assert set(declared) == set(fields)
    for key, schema in declared.items():
        infos = [i for m in (StackConfig, OperatorConfig) for n, i in m.model_fields.items() if (i.alias or n) == key]
        if all(i.is_required() for i in infos) and len(infos) == 2:
            assert "default" not in schema, f"{key} is required by both kinds of stack"
            continue
        if any(i.is_required() for i in infos):
            assert schema.get("default") in ("", []), f"{key}: required by one kind, unset for the other"
            continue
        default = infos[0].get_default(call_default_factory=True)
        expected = list(default) if isinstance(default, tuple) else ("" if default is None else default)
        assert schema.get("default") == expected, f"{key}: Pulumi.yaml {schema.get('default')!r}, models {default!r}"


class ScriptedZone:
    """Stands in for a zone's client in the drill's primary watcher: each poll takes the next answer."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.polls = 0

    def deployments(self, namespace: str, *, labels: dict[str, str] | None = None) -> object:
        self.polls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def close(self) -> None:
        pass


def primary(name: str, ready: int = 1) -> DeploymentView:
    return DeploymentView("edgefed-fr", name, "uid", {"edgefed.io/role": "primary"}, 1, ready)


def watch(clients: dict[str, ScriptedZone], polls: int) -> PrimaryWatcher:
    """Run a watcher until every zone was polled ``polls`` times (or it stopped)."""
    watcher = PrimaryWatcher(clients, "edgefed-fr")  # type: ignore[arg-type]
    with watcher.running():
        deadline = time.monotonic() + 30
        while min(z.polls for z in clients.values()) < polls and watcher.failure is None:
            assert time.monotonic() < deadline, "the watcher stopped polling"
            time.sleep(0.05)
    return watcher


def test_the_drill_watcher_counts_primaries_and_rounds_where_a_zone_refused_are_not_complete():
    refusing = ApiError(status=Status(code=403, message="RBAC not ready", reason="Forbidden"))
    lyon = ScriptedZone(refusing, refusing, [primary("line-control")])
    watcher = watch(
        {
            "lyon": lyon,
            "turin": ScriptedZone([primary("line-control"), primary("standby-only", ready=0)]),
            "paris": ScriptedZone(ConnectionRefusedError()),  # stopped: serves nothing
        },
        polls=4,
    )
    assert watcher.most["before"]["line-control"] == (2, ("lyon", "turin"))
    assert "standby-only" not in watcher.most["before"], "no ready replica: not serving"
    assert watcher.rounds["before"] == lyon.polls - 2, "the two rounds where lyon refused are not complete"
    assert watcher.unwatched() == ["outage", "restart", "failback"]


def test_the_drill_watcher_fails_the_drill_when_a_poll_fails_unexpectedly():
    """A watcher that died quietly would report no duplicate primary for the rest of the drill."""
    with pytest.raises(OpsError, match=r"the primary watcher failed: KeyError\('status'\)"):
        watch({"lyon": ScriptedZone(KeyError("status"))}, polls=1)


def test_private_files_are_replaced_whole_and_never_readable_by_others(tmp_path):
    from edgefed_ops.local.files import write_private

    path = tmp_path / "kubeconfig"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "apiVersion: v1\n")
    assert path.read_text() == "apiVersion: v1\n"
    assert path.stat().st_mode & 0o777 == 0o600, "the new file is the owner's only"
    assert [p.name for p in tmp_path.iterdir()] == ["kubeconfig"], "no partial file left behind"


def test_the_federation_benchmark_generates_a_valid_federation_and_plans_it():
    """`make bench` runs it at 3,000 sites; a small one here, so that a new input rule cannot break it unseen."""
    from edgefed_ops.bench.federation import timed
    from edgefed_ops.bench.synthetic import federation as generated

    federation = generated(n_zones=60, n_sites=300, n_apps=10)
    assert len(federation.members) == 27 and sum(len(m.specs) for m in federation.members) > 27
    assert any(s.data_classification == "restricted" for m in federation.members for s in m.specs)
    *_, scenarios, unservable, _ = timed(federation)
    assert scenarios > 60 and unservable < 300


def test_a_failed_update_names_each_zone_with_its_own_first_error():
    outcome = Outcome(
        ok=False,
        failed=["app-zone-a-service", "app-zone-a-pdb", "app-zone-b-hpa"],
        errors=[
            "app-zone-a-service: configured Kubernetes cluster is unreachable: the server has asked for the "
            "client to provide credentials",
            "app-zone-b-hpa: exceeded quota: edgefed-tenant",
        ],
    )
    said = explain_failure(Settings.from_environ({}, ROOT), "local-acme-fr", ["zone-a", "zone-b"], [], outcome)
    assert said == (
        "zone zone-a (answers): 2 resource(s) errored: app-zone-a-pdb, app-zone-a-service (configured Kubernetes "
        "cluster is unreachable: the server has asked for the client to provide credentials); "
        "zone zone-b (answers): 1 resource(s) errored: app-zone-b-hpa (exceeded quota: edgefed-tenant)"
    )


def test_an_operator_token_made_by_zones_starting_at_once_is_one_token(tmp_path):
    """Each of an operator's zones reads (or makes) its token as it starts; concurrently, they agree."""
    from edgefed_ops.local.credentials import operator_token

    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: operator_token(tmp_path, "vodafone"), range(32)))
    assert len(tokens) == 1
    path = tmp_path / "operators" / "vodafone.token"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and path.read_text() in tokens
    assert [p.name for p in path.parent.iterdir()] == ["vodafone.token"], "no partial file left"


def test_the_report_lists_what_each_zone_lets_the_tenant_do():
    from edgefed_ops.reports.sovereignty import AccessRule, RefusedAction, ZoneAccess, access_markdown

    never = [
        RefusedAction(verb="patch", resource="namespaces", namespace="acme-fr", allowed=False),
        RefusedAction(verb="create", resource="storageclasses.storage.k8s.io", namespace="", allowed=True),
    ]
    access = [
        ZoneAccess(
            zone="local-vodafone-fr-lyon", namespace="acme-fr", user="orange:acme", incomplete=False,
            rules=[AccessRule(api_groups=["apps"], resources=["deployments"], verbs=["get", "create"])], refused=never,
        ),
        ZoneAccess(zone="local-orange-fr-paris", namespace="acme-fr", user="(not authenticated: 401)",
                   rules=[], incomplete=True),
    ]  # fmt: skip
    lines = access_markdown(access)
    assert lines[5:7] == [
        "| local-vodafone-fr-lyon | acme-fr | orange:acme | deployments (apps) | get, create |",
        "| local-orange-fr-paris | acme-fr | (not authenticated: 401) | (the list is incomplete) | |",
    ]
    # What it may never do, as each zone answered: an ALLOWED line is a zone that gives too much.
    assert lines[-2:] == [
        "| local-vodafone-fr-lyon | patch | namespaces | acme-fr | refused |",
        "| local-vodafone-fr-lyon | create | storageclasses.storage.k8s.io | (cluster) | ALLOWED |",
    ]
    assert access_markdown([]) == []


def test_the_report_lists_the_watchers_actions_that_deployed_each_stack():
    from edgefed_ops.failover.takeover_log import actions_of
    from edgefed_ops.reports.sovereignty import takeover_markdown

    site = {
        "stack": "local-acme-fr",
        "app": "line-control",
        "site": "lyon-line",
        "serving": "local-orange-fr-paris",
        "failedOver": False,
        "problem": None,
        "explanation": "lyon-line -> local-orange-fr-paris (2.1 ms)",
    }
    restricted = {
        **site,
        "app": "vision-restricted",
        "site": "lyon-vision",
        "serving": None,
        "problem": "no cross-border failover: restricted data never crosses a border",
        "explanation": "",
    }
    entry = {
        "at": 1796500000.0, "decided": 1796499999.0, "done": 1796500030.0, "watcher": "fr",
        "zone": "local-vodafone-fr-lyon", "kind": "fail over", "why": "2 of 3 watchers saw 3 failed probes",
        "unavailable": ["local-vodafone-fr-lyon"],
        "stacks": [{"stack": "local-acme-fr", "seconds": 20.1, "changes": "~ 3 updated"},
                   {"stack": "local-acme-de", "seconds": 12.0, "changes": "~ 1 updated"}],
        "sites": [site, restricted, {**site, "stack": "local-acme-de", "site": "munich-line"}],
    }  # fmt: skip
    [action] = actions_of([entry], "local-acme-fr")
    assert actions_of([entry], "local-nordwind-fr") == [], "not deployed by that action"
    assert takeover_markdown([action])[-3:] == [
        "- 2026-12-05T19:46:40+00:00 fail over local-vodafone-fr-lyon by watcher fr: 2 of 3 watchers saw 3 failed probes",
        "  - line-control lyon-line: serving local-orange-fr-paris (lyon-line -> local-orange-fr-paris (2.1 ms))",
        "  - vision-restricted lyon-vision: UNSERVED, no cross-border failover: restricted data never crosses a border",
    ]
    assert takeover_markdown([]) == []


def test_a_deploy_asks_the_issuer_about_its_token_once_not_once_per_zone(tmp_path, monkeypatch):
    import base64
    import json
    from types import SimpleNamespace

    from edgefed.core.inputs.catalog import load_catalog
    from edgefed.core.inputs.contract import load_contract
    from edgefed_ops.stack import identities

    from .conftest import ops_settings

    settings = ops_settings(tmp_path)
    catalog = load_catalog(settings.local_catalog)
    contract = load_contract(ROOT / "stacks" / "tenants" / "local" / "acme.yaml", catalog)
    claims = base64.urlsafe_b64encode(json.dumps({"exp": time.time() + 3600}).encode()).decode().rstrip("=")
    token = f"header.{claims}.signature"
    (settings.work / "identities" / "acme").mkdir(parents=True)
    (settings.work / "identities" / "acme" / "token").write_text(token)
    (tmp_path / "federation").mkdir()
    admin = tmp_path / "federation" / "issuer.kubeconfig"
    admin.write_text("")
    asked: list[str] = []
    vouches = [True]

    def accepts(held: str) -> bool:
        asked.append(held)
        return vouches[0]

    issued = iter(["issued-1", "issued-2"])
    issuer = SimpleNamespace(admin_kubeconfig=admin, accepts=accepts, issue=lambda tenant: next(issued))
    federation = SimpleNamespace(catalog=catalog, identities=SimpleNamespace(issuer=lambda operator: issuer))
    tenants = identities.TenantIdentities(settings, federation)  # type: ignore[arg-type]
    for zone in contract.zones("FR"):
        assert token in tenants.kubeconfig(contract, zone).read_text()
    assert asked == [token]  # one review for every zone's kubeconfig
    later = time.monotonic() + identities.REVIEW_SECONDS + 1
    monkeypatch.setattr(identities.time, "monotonic", lambda: later)
    vouches[0] = False  # a federation started anew: its issuer no longer vouches for the held token
    assert tenants.token(contract) == "issued-1"
    assert asked == [token, token]


def _preview_events(held: dict[str, object], now: dict[str, object], changes: dict[str, int]) -> EventCollector:
    """A preview's events: the stack resource with its outputs held and given now, then the summary."""
    urn = "urn:pulumi:local-acme-fr::edgefed::pulumi:pulumi:Stack::edgefed-local-acme-fr"

    def state(outputs: dict[str, object]) -> auto.StepEventStateMetadata:
        return auto.StepEventStateMetadata(
            type="pulumi:pulumi:Stack", urn=urn, id="", parent="", provider="", outputs=outputs
        )

    events = EventCollector(None)
    done = auto.StepEventMetadata(
        op=auto.OpType.SAME, urn=urn, type="pulumi:pulumi:Stack", provider="", old=state(held), new=state(now)
    )
    events(_event(res_outputs_event=auto.ResOutputsEvent(metadata=done, planning=True)))
    summary = auto.SummaryEvent(maybe_corrupt=False, duration_seconds=1, resource_changes=changes, policy_packs={})
    events(_event(summary_event=summary))
    return events


def test_a_preview_writes_nothing_only_when_every_resource_and_output_stays_as_held():
    """`up` skips its update only on the engine's word that nothing would change: every doubt runs the update."""
    outputs = {"sites": {"lyon-robots": "local-vodafone-fr-lyon"}}
    assert _preview_events(outputs, outputs, {"same": 40}).outcome.writes_nothing
    assert not _preview_events(outputs, outputs, {"same": 39, "update": 1}).outcome.writes_nothing
    moved = {"sites": {"lyon-robots": "local-orange-fr-paris"}}
    assert not _preview_events(outputs, moved, {"same": 40}).outcome.writes_nothing  # an output changes
    secret = {"token": {SECRET_SIGNATURE: "1b47061264138c4ac30d75fd1eb44270", "value": "[secret]"}}
    assert not _preview_events(secret, secret, {"same": 40}).outcome.writes_nothing  # masked: cannot tell
    warned = _preview_events(outputs, outputs, {"same": 40})
    warned(
        _event(diagnostic_event=auto.DiagnosticEvent(message="pending operations", color="never", severity="warning"))
    )
    assert not warned.outcome.writes_nothing  # an interrupted update's pending operation
    assert not EventCollector(None).outcome.writes_nothing  # no stack resource reported: no word from the engine


def test_a_port_claimed_by_a_live_process_is_never_handed_to_another(tmp_path):
    """Two processes choosing free ports at once (the two federation modules of a run) never pick the same one."""
    import os
    import subprocess
    import sys

    from edgefed_ops.local import ports

    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "12345").write_text(str(holder.pid))
        assert not ports.claim(12345, tmp_path), "a live process holds it"
        assert ports.claim(12346, tmp_path) and (tmp_path / "12346").read_text() == str(os.getpid())
    finally:
        holder.kill()
        holder.wait()
    assert ports.claim(12345, tmp_path), "the claim of a process that is gone is taken over"
    assert (tmp_path / "12345").read_text() == str(os.getpid())
