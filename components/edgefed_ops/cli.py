"""The ``edgefed`` command: every job of the README behind one entry point.

Human output goes to stdout, progress to stderr; ``--json`` prints one JSON document on stdout instead.
This is the only module that reads the environment (``Settings.from_environ``) or sets an exit status.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from edgefed.catalog import load_catalog
from edgefed.errors import ConfigError, load_yaml
from edgefed_ops import (
    audit,
    bench,
    bench_federation,
    bench_preview,
    bench_stacks,
    plandiff_report,
    planning,
    policy_schema,
    policycheck,
    render,
    report,
    sarif,
    statebackend,
    whatif_report,
    zones_import,
)
from edgefed_ops.deploy import LocalDeploy, format_report
from edgefed_ops.drill import Drill, format_most
from edgefed_ops.engine import Outcome, StackWorkspace
from edgefed_ops.errors import OpsError
from edgefed_ops.federation import Federation
from edgefed_ops.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    quiet = getattr(args, "quiet", False)
    return (lambda line: None) if quiet else (lambda line: print(line, file=sys.stderr, flush=True))


def _emit(args: argparse.Namespace, data: Any, lines: Sequence[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, default=_plain))
    else:
        for line in lines:
            print(line)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def cmd_plan(args: argparse.Namespace, settings: Settings) -> int:
    """Placement plan of country stacks."""
    if args.diff:
        change, head, head_what_if = plandiff_report.compare(settings, args.diff)
        if args.markdown:
            print("\n".join(plandiff_report.markdown(change, head, head_what_if)))
        else:
            _emit(args, plandiff_report.data(change), plandiff_report.lines(change))
        return 0 if change.ok else 1
    if args.what_if:
        names = list(args.stacks) or settings.stack_names()
        federations, errors = planning.load_federations(settings.root, names)
        for error in errors:
            print(error, file=sys.stderr)
        report = whatif_report.run(federations)
        _emit(args, whatif_report.data(report), whatif_report.lines(report))
        return 0 if report.ok and not errors else 1
    result = planning.plan_stacks(settings, args.stacks, args.unavailable)
    _emit(args, planning.plan_data(result), planning.plan_lines(result))
    return 0 if result.ok else 1


def _workspace(args: argparse.Namespace, settings: Settings) -> StackWorkspace:
    values: dict[str, object] = {}
    if args.render:
        values |= {"renderYamlTo": str(settings.root / ".state" / "render" / args.stack), "buckets": False}
    for item in args.set:
        key, _, value = item.partition("=")
        try:
            values[key] = json.loads(value)
        except json.JSONDecodeError:
            values[key] = value
    if args.stack in settings.local_stack_names() and not args.render:
        # A local stack's state lives in its country's object store of the running federation.
        workspace = LocalDeploy(settings, _progress(args)).workspace(args.stack)
    else:
        workspace = StackWorkspace(settings, args.stack)
    workspace.prepare(values)
    return workspace


def _outcome(args: argparse.Namespace, stack: str, operation: str, outcome: Outcome) -> int:
    lines = [f"== {stack}: {operation} {'done' if outcome.ok else 'FAILED'} ({outcome.summary()})"]
    lines += [f"   [{v.level}] {v.policy} ({v.resource}): {v.message}" for v in outcome.violations]
    lines += [f"   error: {e}" for e in outcome.errors]
    if not outcome.ok and not outcome.errors and not outcome.violations:
        lines.append(outcome.output[-3000:])
    data = {
        "stack": stack, "operation": operation, "ok": outcome.ok, "changes": outcome.changes,
        "violations": outcome.violations, "failed": outcome.failed, "errors": outcome.errors,
    }  # fmt: skip
    _emit(args, data, lines)
    return 0 if outcome.ok else 1


def cmd_engine(args: argparse.Namespace, settings: Settings) -> int:
    """Preview / up / refresh / destroy of a country stack through the Automation API."""
    workspace = _workspace(args, settings)
    progress = _progress(args)
    config = args.policy_config.resolve() if args.policy_config else None
    if config is None and args.stack in settings.local_stack_names() and not args.render:
        # The running federation's catalog (EDGEFED_LOCAL_CATALOG may move its ports), as deploy uses.
        _, config = LocalDeploy(settings, progress).catalog_settings()
    if args.command == "preview":
        # A preview takes seconds: one line, not one per planned step.
        progress(f"{args.stack}: preview{'' if args.no_policy else ' with the policy pack'}")
        outcome = workspace.preview(policy=not args.no_policy, config=config)
    elif args.command == "up":
        outcome = workspace.up(policy=not args.no_policy, config=config, progress=progress)
    elif args.command == "refresh":
        outcome = workspace.refresh(progress=progress)
    else:
        outcome = workspace.destroy(progress=progress)
    return _outcome(args, args.stack, args.command, outcome)


def cmd_stack(args: argparse.Namespace, settings: Settings) -> int:
    """Any other Pulumi command (cancel, stack export, ...) in the stack's workspace, as a user types it."""
    workspace = _workspace(args, settings)
    command = ["pulumi", *args.pulumi, "--stack", args.stack]
    return subprocess.run(command, cwd=workspace.folder, env=workspace.env(), check=False).returncode


def cmd_policy_check(args: argparse.Namespace, settings: Settings) -> int:
    """The policy pack over country stacks (a pull request check, with the base branch's pack)."""
    trusted = args.trusted.resolve() if args.trusted else None
    if trusted is not None and not (trusted / "policies" / "eu-residency" / "PulumiPolicy.yaml").is_file():
        raise OpsError(f"policy-check: {trusted} holds no policies/eu-residency pack to check with")
    settings = settings.with_trusted(trusted)
    results = policycheck.run(
        settings, args.stacks, args.config.resolve() if args.config else None, _progress(args), args.jobs
    )
    changed = policycheck.changed_rules(trusted, settings.root) if trusted else []
    report = policycheck.markdown(results, changed, trusted=trusted is not None)
    if args.sarif:
        args.sarif.write_text(json.dumps(sarif.to_sarif(results, settings.pack), indent=2) + "\n")
    _emit(args, {"stacks": results, "trusted": str(trusted) if trusted else None, "changedRules": changed}, [report])
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(report)
    return 1 if any(r.status != "pass" for r in results) else 0


def cmd_state_check(args: argparse.Namespace, settings: Settings) -> int:
    """Refuse, before anything runs, a state backend outside each stack's country."""
    url = settings.backend_url or ""
    failed = 0
    for stack in args.stacks:
        config = load_yaml(settings.root / "stacks" / f"Pulumi.{stack}.yaml").get("config") or {}
        country = str(config.get("edgefed:country", "")).upper()
        catalog = load_catalog(settings.root / str(config.get("edgefed:catalog", "stacks/catalog/federation.yaml")))
        why = statebackend.problem(url, country, catalog) if url else "PULUMI_BACKEND_URL is not set"
        if why:
            failed += 1
            print(f"state-check: {stack} ({country}): {why}", file=sys.stderr)
        else:
            _progress(args)(f"state-check: {stack} ({country}): state at {statebackend.describe(url)}")
    return 1 if failed else 0


def _report_out(args: argparse.Namespace, built: Any) -> None:
    if args.html:
        args.html.write_text(report.html_page(built), encoding="utf-8")
        _progress(args)(f"wrote {args.html}")
    if args.json:
        print(built.model_dump_json(indent=2))
    else:
        print(report.markdown(built), end="")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """The sovereignty report of stacks, from a preview or from their deployed state."""
    if args.schema:
        print(json.dumps(report.Report.model_json_schema(), indent=2))
        return 0
    stacks = args.stacks or settings.stack_names()
    source: Literal["preview", "state"] = "state" if args.state else "preview"
    found = [audit.collect(settings, stack, source, progress=_progress(args)) for stack in stacks]
    _report_out(args, audit.build_report(settings, found))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Refresh each stack from its zones, run the pack's rules over its state, report; exit 1 on a violation."""
    stacks = args.stacks or settings.stack_names()
    found = [
        audit.collect(settings, stack, "state", refresh=not args.no_refresh, progress=_progress(args))
        for stack in stacks
    ]
    _report_out(args, audit.build_report(settings, found))
    for item in found:
        for violation in item.violations:
            print(f"audit: {item.report.stack}: [{violation.policy}] {violation.message}", file=sys.stderr)
    return 1 if any(item.violations for item in found) else 0


def cmd_render(args: argparse.Namespace, settings: Settings) -> int:
    """Render the country stacks (keeping what users set), or check that they are fresh."""
    if args.check:
        stale = render.check(settings.root)
        for name, why in sorted(stale.items()):
            print(f"stale stack file {name}: {why} (run `.venv/bin/edgefed render`)", file=sys.stderr)
        return 1 if stale else 0
    for path in render.write(settings.root):
        print(f"wrote {path.relative_to(settings.root)}")
    return 0


def cmd_import_zones(args: argparse.Namespace, settings: Settings) -> int:
    """Import an operator's CAMARA zones answer into the catalog."""
    text, count = zones_import.import_zones(
        args.catalog, args.answer, zones_import.parse_storage(args.storage), zones_import.parse_api(args.api)
    )
    if args.write:
        args.catalog.write_text("# Imported with `edgefed import-zones`.\n" + text, encoding="utf-8")
        print(f"wrote {args.catalog} ({count} zones)")
    else:
        print(text)
    return 0


def cmd_federation(args: argparse.Namespace, settings: Settings) -> int:
    """The local federation: up, down, status, stop-zone, start-zone."""
    federation = Federation(settings, args.catalog, progress=_progress(args))
    if args.action == "up":
        took = federation.up()
        _progress(args)(f"federation up in {took:.1f} s; kubeconfig: {settings.kubeconfig}")
    elif args.action == "down":
        federation.down()
        _progress(args)(f"federation down: no process left, {federation.state} removed")
        return 0
    elif args.action in ("stop-zone", "start-zone"):
        if not args.zone:
            raise OpsError(
                f"federation {args.action}: name the zone; allowed: {', '.join(sorted(federation.catalog.zone_by_id))}"
            )
        zone = federation.catalog.zone(args.zone)
        if args.action == "stop-zone":
            federation.stop_zone(zone)
            _progress(args)(f"zone {zone.id} stopped (its data stays in {federation.zone_dir(zone.id)})")
            return 0
        _progress(args)(f"zone {zone.id} up in {federation.start_zone(zone):.1f} s")
        federation.write_kubeconfig()
        return 0
    zones, stores = federation.status()
    lines = [f"{'zone':32} {'country':7} {'processes':10} {'api':6} nodes"]
    for z in zones:
        nodes = f"{z.ready_nodes} ready" if z.ready else "-"
        lines.append(
            f"{z.id:32} {z.country:7} {f'{z.processes}/{z.expected}':10} {'ready' if z.ready else 'DOWN':6} {nodes}"
        )
    for s in stores:
        lines.append(
            f"{'s3 ' + s.country:32} {s.country:7} {'':10} {'up' if s.up else 'DOWN':6} {s.endpoint} ({s.region})"
        )
    _emit(args, {"zones": zones, "stores": stores}, lines)
    return 0 if all(z.ready for z in zones) and all(s.up for s in stores) else 1


def cmd_deploy(args: argparse.Namespace, settings: Settings) -> int:
    """`pulumi up` of the local stacks onto the local federation."""
    reports = LocalDeploy(settings, _progress(args)).run(args.stacks, args.unavailable, args.jobs)
    if args.json:
        _emit(args, reports, [])
    for outcome in reports:
        for line in [] if args.json else format_report(outcome):
            print(line, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if all(r.ok for r in reports) else 1


def cmd_drill(args: argparse.Namespace, settings: Settings) -> int:
    """The whole-country failover drill on the local federation."""
    progress = _progress(args) if args.json else print
    runs = []
    for attempt in range(1, args.repeat + 1):
        if args.repeat > 1:
            progress(f"==> drill run {attempt}/{args.repeat}")
        began = time.monotonic()
        try:
            report = Drill(LocalDeploy(settings, _progress(args)), args.country, progress).run()
        except OpsError as error:
            if args.repeat == 1:
                raise
            runs.append({"run": attempt, "ok": False, "seconds": round(time.monotonic() - began), "error": str(error)})
            continue
        runs.append({
            "run": attempt, "ok": report.ok, "seconds": round(time.monotonic() - began), "country": report.country,
            "stacks": report.stacks, "load": report.load, "unserved": report.unserved, "most": report.most,
            "staleSeconds": report.stale_seconds,
        })  # fmt: skip
        if not args.json:
            for line in format_most(report):
                print(line)
    passed = sum(1 for r in runs if r["ok"])
    summary = [f"drill: {passed} of {len(runs)} run(s) passed"] + [
        f"   run {r['run']}: {'ok' if r['ok'] else 'FAILED'} in {r['seconds']} s {r.get('error', '')}" for r in runs
    ]
    _emit(args, runs[0] if args.repeat == 1 else {"runs": runs, "passed": passed}, summary)
    return 0 if passed == len(runs) else 1


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """The placement benchmark; with --preview STACK, a stack's preview against a plain program."""
    if args.preview:
        lines = bench_preview.run(settings, args.preview, args.rounds, _progress(args))
    elif args.federation:
        lines = bench_federation.run(_progress(args))
    elif args.all_stacks:
        lines = bench_stacks.run(settings, _progress(args))
    else:
        lines = bench.run(args.sites, args.zones, args.repeat, args.naive_sites)
    for line in lines:
        print(line)
    return 0


def cmd_policy_schema(args: argparse.Namespace, settings: Settings) -> int:
    """Write (or check) the pack config's JSON schema."""
    target = policy_schema.target(settings.root)
    if args.check:
        if target.read_text() != policy_schema.text():
            print(f"{target} is stale: run `.venv/bin/edgefed policy-schema`", file=sys.stderr)
            return 1
        return 0
    target.write_text(policy_schema.text())
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="edgefed", description="edgefed: the European telco Edge Federation, as code.")
    top.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        one = sub.add_parser(name, help=help_text, description=help_text)
        one.set_defaults(handler=handler)
        return one

    def json_flag(one: argparse.ArgumentParser) -> None:
        one.add_argument("--json", action="store_true", help="machine output: one JSON document on stdout")

    one = command("plan", cmd_plan, "print the placement plan of country stacks (default: every stack)")
    one.add_argument("stacks", nargs="*")
    one.add_argument("--unavailable", nargs="*", default=[], metavar="ZONE", help="zones to treat as down")
    one.add_argument(
        "--what-if", action="store_true", help="re-plan for every single-zone and whole-country outage (N-1)"
    )
    one.add_argument("--diff", metavar="REV", help="placement diff from git revision REV (a PR's base) to the tree")
    one.add_argument("--markdown", action="store_true", help="with --diff: the pull request's job summary")
    json_flag(one)
    for name, help_text in (
        ("preview", "pulumi preview of a country stack with the policy pack"),
        ("up", "pulumi up of a country stack with the policy pack"),
        ("refresh", "pulumi refresh of a country stack"),
        ("destroy", "pulumi destroy of a country stack"),
        ("stack", "any other pulumi command on a country stack's workspace: edgefed stack fr -- cancel --yes"),
    ):
        one = command(name, cmd_stack if name == "stack" else cmd_engine, help_text)
        one.add_argument("stack")
        one.add_argument("--render", action="store_true", help="render manifests to .state/render/STACK, no buckets")
        one.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="an edgefed: setting")
        one.add_argument("--work", type=Path, help="workspace folder (default .state/work)")
        if name == "stack":
            one.add_argument("pulumi", nargs=argparse.REMAINDER, help="-- then the pulumi arguments")
        else:
            one.add_argument("--no-policy", action="store_true", help="without the policy pack")
            one.add_argument(
                "--policy-config", type=Path, help="pack config (default: the stack family's, stacks/stacksets.yaml)"
            )
            json_flag(one)
    one = command(
        "policy-check", cmd_policy_check, "preview country stacks with the policy pack; exit 1 on a violation"
    )
    one.add_argument("stacks", nargs="*")
    one.add_argument("--config", type=Path, help="pack config (default: each stack family's, stacks/stacksets.yaml)")
    one.add_argument("--sarif", type=Path, metavar="FILE", help="also write the results as SARIF 2.1.0 to FILE")
    one.add_argument(
        "--trusted",
        type=Path,
        metavar="CHECKOUT",
        help="check with the pack, pack configs and stack families of CHECKOUT (a pull request's base branch)",
    )
    one.add_argument("--jobs", type=int, help="stacks previewed at once (default: the number of cores)")
    one.add_argument("--work", type=Path, help="workspace folder (default .state/work)")
    json_flag(one)

    def report_flags(one: argparse.ArgumentParser) -> None:
        one.add_argument("stacks", nargs="*")
        one.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML page with a map")
        one.add_argument("--work", type=Path, help="workspace folder (default .state/work)")
        json_flag(one)

    one = command("report", cmd_report, "the sovereignty report of stacks (from a preview, or --state)")
    report_flags(one)
    one.add_argument("--state", action="store_true", help="from the deployed state (pulumi stack export)")
    one.add_argument("--schema", action="store_true", help="print the JSON schema of --json and exit")
    one = command("audit", cmd_audit, "refresh, then the pack's rules over each stack's state, and the report")
    report_flags(one)
    one.add_argument("--no-refresh", action="store_true", help="audit the state as it is, without reading the zones")
    one = command("state-check", cmd_state_check, "refuse a state backend outside each stack's country")
    one.add_argument("stacks", nargs="+")
    one = command("render", cmd_render, "render stacks/Pulumi.<cc>.yaml from the catalog, keeping what users set")
    one.add_argument("--check", action="store_true", help="exit 1 if a committed stack file is stale")
    one = command("import-zones", cmd_import_zones, "import a CAMARA GET /edge-cloud-zones answer into the catalog")
    one.add_argument("answer", type=Path)
    one.add_argument("--catalog", type=Path, default=Path("stacks/catalog/federation.yaml"))
    one.add_argument("--storage", action="append", default=[], metavar="CC=ENDPOINT,REGION,SECRET")
    one.add_argument(
        "--api", action="append", default=[], metavar="ZONE=URL", help="each imported zone's Kubernetes API server"
    )
    one.add_argument("--write", action="store_true", help="write the merged catalog back")
    one = command("federation", cmd_federation, "the local federation: up, down, status, stop-zone, start-zone")
    one.add_argument("action", choices=["up", "down", "status", "stop-zone", "start-zone"])
    one.add_argument("zone", nargs="?")
    one.add_argument("--catalog", type=Path, help="local catalog (default stacks/catalog/local.yaml)")
    json_flag(one)
    one = command("deploy", cmd_deploy, "pulumi up of the local-* stacks onto the local federation, with the pack")
    one.add_argument("stacks", nargs="*")
    one.add_argument("--unavailable", nargs="*", default=None, metavar="ZONE", help="zones to mark unavailable")
    one.add_argument("--jobs", type=int, help="stacks deployed at once (default: two per core)")
    one.add_argument("--work", type=Path, help="workspace folder (default .state/work)")
    json_flag(one)
    one = command(
        "drill",
        cmd_drill,
        "whole-country failover drill: a country fails, its load moves to neighbours, then back",
    )
    one.add_argument("--country", default="FR", help="the country whose zones fail (default FR)")
    one.add_argument("--repeat", type=int, default=1, help="run the drill this many times in a row")
    one.add_argument("--work", type=Path, help="workspace folder (default .state/work)")
    json_flag(one)
    one = command("bench", cmd_bench, "benchmarks: placement (indexed vs naive), --federation, --preview STACK")
    one.add_argument("--sites", type=int, default=10_000)
    one.add_argument("--zones", type=int, default=1_000)
    one.add_argument("--repeat", type=int, default=5)
    one.add_argument("--naive-sites", type=int, default=1_000)
    one.add_argument("--preview", metavar="STACK", help="instead: preview of STACK against a plain k8s program")
    one.add_argument("--rounds", type=int, default=5, help="interleaved previews of each, with --preview")
    one.add_argument("--federation", action="store_true", help="instead: federation plan + N-1 what-if at scale")
    one.add_argument("--all-stacks", action="store_true", help="instead: every stack's policy preview at once")
    one = command("policy-schema", cmd_policy_schema, "write policies/eu-residency/config.schema.json")
    one.add_argument("--check", action="store_true", help="exit 1 if the committed schema is stale")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status."""
    args = parser().parse_args(argv)
    if getattr(args, "pulumi", None) and args.pulumi[0] == "--":
        args.pulumi = args.pulumi[1:]
    try:
        settings = Settings.from_environ(os.environ).with_work(getattr(args, "work", None))
        handler: Handler = args.handler
        return handler(args, settings)
    except (OpsError, ConfigError) as error:
        print(error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
