"""``edgefed watch --tenant T --name N``: a watcher of a tenant's zones on the local federation (or ``--log``)."""

from __future__ import annotations

import argparse
import re
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from edgefed_ops.commands import inputs, options
from edgefed_ops.errors import UsageError
from edgefed_ops.failover.health import HealthRules
from edgefed_ops.failover.store import StoreClient
from edgefed_ops.failover.takeover import Takeover
from edgefed_ops.failover.takeover_state import TakeoverState
from edgefed_ops.failover.watch_config import WatchConfig
from edgefed_ops.settings import Settings
from edgefed_ops.stack.deploy import LocalDeploy


def arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    defaults = HealthRules()
    parser.add_argument("--tenant", required=True, help="the tenant whose local stacks it watches and deploys")
    parser.add_argument("--name", help="this watcher's name among the tenant's watchers (its country: fr)")
    parser.add_argument("--operator", help="the operator running it (default: the tenant's home operator)")
    parser.add_argument("--interval", type=options.seconds, default=1.0, help="seconds between rounds of probes (1)")
    parser.add_argument(
        "--failures",
        type=options.positive_int,
        default=defaults.failures,
        help=f"failed probes in a row before a watcher sees a zone down ({defaults.failures})",
    )
    parser.add_argument(
        "--successes",
        type=options.positive_int,
        default=defaults.successes,
        help=f"answers in a row before a down zone is fenced ({defaults.successes})",
    )
    parser.add_argument(
        "--stabilization",
        type=options.seconds,
        default=defaults.stabilization,
        help=f"seconds a fenced zone answers before failback ({defaults.stabilization:g})",
    )
    parser.add_argument(
        "--max-failbacks",
        type=options.positive_int,
        default=defaults.max_failbacks,
        help=f"zones failing back at once, per app at most ({defaults.max_failbacks})",
    )
    parser.add_argument(
        "--lease",
        type=options.positive_int,
        default=5,
        help="seconds of the leadership lease (5): a dead leader's successor leads within it",
    )
    parser.add_argument(
        "--zone-endpoint",
        action="append",
        default=[],
        metavar="ZONE=URL",
        help="probe ZONE's API server at URL (a proxy or bastion this watcher must use)",
    )
    parser.add_argument(
        "--no-fast-path",
        action="store_true",
        help="never promote warm standbys through the zones' APIs before `up`: every takeover is a full `up`",
    )
    parser.add_argument("--rounds", type=options.positive_int, help="stop after this many rounds (default: never)")
    parser.add_argument("--log", action="store_true", help="print the tenant's outage state and action log, exit")
    options.work(parser)
    options.json_output(parser)  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Watch until SIGTERM/SIGINT (or ``--rounds``); ``--log`` prints the takeover's state instead."""
    [tenant] = inputs.tenants(settings, [args.tenant])
    if args.name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", args.name):
        raise UsageError(f"--name: {args.name!r} is not a watcher name; allowed: a-z, 0-9 and '-', up to 31")
    if args.work is None and args.name:
        settings = settings.with_work(settings.root / ".state" / "watch" / f"{tenant}-{args.name}")
    deploy = LocalDeploy(settings, _stamped(options.progress(args)))
    store = StoreClient(deploy.federation.watch_store.endpoints(), timeout=3)
    if args.log:
        return _show(args, TakeoverState(store, tenant))
    if not args.name:
        raise UsageError("--name: name this watcher (its country: fr); allowed: a-z, 0-9 and '-'")
    contract = deploy.stacks.contract_of(tenant)
    operator = args.operator or contract.home_operator
    operators = sorted(o.id for o in deploy.federation.catalog.operators)
    if operator not in operators:
        listed = ", ".join(operators)
        raise UsageError(
            f"--operator: {operator!r} is not an operator of {settings.local_catalog}; operators: {listed}"
        )
    rules = HealthRules(
        failures=args.failures, successes=args.successes, stabilization=args.stabilization,
        horizon=max(30.0, 10 * args.interval), max_failbacks=args.max_failbacks,
    )  # fmt: skip
    timeout = min(2.0, max(0.5, args.interval))  # a probe never outlasts the round much
    routes = _routes(args.zone_endpoint, deploy)
    config = WatchConfig(
        tenant, args.name, operator, args.interval, timeout, args.lease, rules, routes, not args.no_fast_path
    )
    takeover = Takeover(deploy, store, config, _stamped(options.progress(args)))
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    takeover.run(stop, args.rounds)
    return 0


def _stamped(progress: Callable[[str], None]) -> Callable[[str], None]:
    """Progress lines with the time of day: a watcher's log is read after the fact."""
    return lambda line: progress(f"{time.strftime('%H:%M:%S')} {line}")


def _routes(values: list[str], deploy: LocalDeploy) -> tuple[tuple[str, str], ...]:
    out = []
    for value in values:
        zone, sep, url = value.partition("=")
        if not sep or not url.startswith(("https://", "http://")):
            raise UsageError(f"--zone-endpoint: {value!r} is not ZONE=URL; allowed: ZONE=https://HOST:PORT")
        inputs.zone(deploy.federation.catalog, zone, "--zone-endpoint", str(deploy.settings.local_catalog))
        out.append((zone, url))
    return tuple(out)


def _show(args: argparse.Namespace, state: TakeoverState) -> int:
    zones, pending, log = state.zones(), state.pending(), state.log()
    leader = state.client.leader(state.election)
    lines = [f"leader: {leader.value if leader else 'none'}"]
    lines += [f"zone {zone}: {zone_state.value}" for zone, zone_state in sorted(zones.items())] or ["every zone up"]
    if pending:
        lines.append(f"pending: up of {', '.join(pending.stacks)} with {list(pending.unavailable) or 'every zone'}")
    for entry in log:
        lines.append(f"{entry['kind']} {entry['zone']} by {entry['watcher']}: {entry['why']}")
        lines += [f"   {s['stack']}/{s['app']} {s['site']}: serving {s['serving'] or 'UNSERVED'}"
                  + (f" ({s['problem']})" if s["problem"] else "") for s in entry["sites"]]  # fmt: skip
    data = {
        "leader": leader.value if leader else None, "zones": {z: s.value for z, s in zones.items()},
        "pending": pending, "log": log,
    }  # fmt: skip
    options.emit(args, data, lines)
    return 0
