"""Deploy one app spec on one zone through the zone's operator's CAMARA platform, as a tenant."""

import pulumi

from edgefed.components.platform_app import PlatformEdgeApp, PlatformEdgeAppArgs
from edgefed.core.inputs.appspec import load_app_spec
from edgefed.core.inputs.catalog import load_catalog

config = pulumi.Config("platformprobe")
catalog = load_catalog(config.require("catalog"))
zone = catalog.zone(config.require("zone"))
app = PlatformEdgeApp(
    config.require("name"),
    PlatformEdgeAppArgs(
        spec=load_app_spec(config.require("app")),
        zone=zone,
        operator=catalog.operator_by_id[zone.operator],
        tenant=config.require("tenant"),
        home_operator=config.require("home"),
        country=config.require("country"),
        token=config.require_secret("token"),
        ca_pem=config.require("ca"),
        ready_seconds=config.require_int("readySeconds"),
    ),
)
pulumi.export("endpoints", app.endpoints)
pulumi.export("status", app.instance.status)
