"""One compliant base deployment, plus the cases named by the `corpus:cases` config value.

Written without edgefed's components on purpose: the pack must stop programs that bypass them. Each
case registers its resources under its own name (a Deployment of case `docker-hub-image` is named
`docker-hub-image`) and its own app label, so that many cases share one preview without one case's
resources changing another's verdict; the test asserts each case's message by that name.
"""

import base64
import json

import pulumi
import pulumi_kubernetes as k8s
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs

config = pulumi.Config("corpus")
cases = [case for case in config.require("cases").split(",") if case]
render = config.require("render")
DIGEST = "sha256:" + "ab" * 32
PARIS_API = "https://api.orange-fr-paris.orange.example:6443"
RESTRICTED = {"edgefed.io/data-classification": "restricted", "edgefed.io/residency": "de.fr"}
PINNED = f"registry.edgefed.eu/aero/vision:3@{DIGEST}"


def zone_labels(app, zone="orange-fr-paris", country="fr", operator="orange", residency="eu", **extra):
    found = {
        "edgefed.io/country": country,
        "edgefed.io/operator": operator,
        "edgefed.io/zone": zone,
        "edgefed.io/residency": residency,
        "app.kubernetes.io/name": app,
        "edgefed.io/role": "primary",
        "edgefed.io/data-classification": "internal",
        **extra,
    }
    return {key: value for key, value in found.items() if value is not None}


def provider(name, zone, **extra):
    return k8s.Provider(name, render_yaml_to_directory=f"{render}/{zone}", **extra)


def kubeconfig(server, context="zone", **more_clusters):
    """Kubeconfig contents whose ``context`` connects to ``server`` (the servers do not answer here)."""
    clusters = {"zone": server, **more_clusters}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": n, "cluster": {"server": url}} for n, url in clusters.items()],
            "users": [{"name": "admin", "user": {"token": "corpus-token-3e1d"}}],
            "contexts": [{"name": n, "context": {"cluster": n, "user": "admin"}} for n in clusters],
            "current-context": context,
        }
    )


def tenant_kubeconfig():
    """Paris's kubeconfig with acme's token from Orange's identity issuer (a JWT; its signature is not read)."""

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"iss": "https://identity.orange.example", "kubernetes.io": {"serviceaccount": {"name": "acme"}}}
    document = json.loads(kubeconfig(PARIS_API))
    document["users"][0]["user"]["token"] = f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"
    return json.dumps(document)


def detouring_kubeconfig(cluster=None, user=None):
    """The Paris kubeconfig with more fields in its cluster and user entries."""
    document = json.loads(kubeconfig(PARIS_API))
    document["clusters"][0]["cluster"].update(cluster or {})
    document["users"][0]["user"].update(user or {})
    return json.dumps(document)


def kubeconfig_with(entry, section="clusters"):
    """The Paris kubeconfig with one more cluster or user entry, which no context uses."""
    document = json.loads(kubeconfig(PARIS_API))
    document[section].append(entry)
    return json.dumps(document)


def opts(prov):
    return pulumi.ResourceOptions(provider=prov)


def template_of(labels, image, template_labels=None, **pod):
    spec = {"containers": [{"name": "app", "image": image}], **pod}
    return {"metadata": {"labels": template_labels if template_labels is not None else dict(labels)}, "spec": spec}


def meta(name, labels, **extra):
    return {"name": name, "namespace": "tenant-fr", "labels": labels, **extra}


def deployment(
    name, prov, labels, image="registry.edgefed.eu/acme/vision:1.0", template_labels=None, namespace="tenant-fr", **pod
):
    template = template_of(labels, image, template_labels, **pod)
    return k8s.apps.v1.Deployment(
        name,
        metadata={**meta(name, labels), "namespace": namespace},
        spec={"selector": {"matchLabels": {"a": name}}, "template": template},
        opts=opts(prov),
    )


def workload(kind, name, prov, labels, image="registry.edgefed.eu/acme/vision:1.0", template_labels=None, **pod):
    """Any workload kind, built as its API wants it (``pod``: more fields of its pod spec)."""
    template = template_of(labels, image, template_labels, **pod)
    selector = {"matchLabels": {"a": name}}
    if kind == "StatefulSet":
        spec = {"serviceName": name, "selector": selector, "template": template}
        return k8s.apps.v1.StatefulSet(name, metadata=meta(name, labels), spec=spec, opts=opts(prov))
    if kind == "DaemonSet":
        return k8s.apps.v1.DaemonSet(
            name, metadata=meta(name, labels), spec={"selector": selector, "template": template}, opts=opts(prov)
        )
    if kind == "ReplicaSet":
        return k8s.apps.v1.ReplicaSet(
            name, metadata=meta(name, labels), spec={"selector": selector, "template": template}, opts=opts(prov)
        )
    if kind == "ReplicationController":
        spec = {"selector": {"a": name}, "template": template}
        return k8s.core.v1.ReplicationController(name, metadata=meta(name, labels), spec=spec, opts=opts(prov))
    if kind == "Job":
        template["spec"]["restartPolicy"] = "Never"
        return k8s.batch.v1.Job(name, metadata=meta(name, labels), spec={"template": template}, opts=opts(prov))
    if kind == "CronJob":
        template["spec"]["restartPolicy"] = "Never"
        spec = {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}
        return k8s.batch.v1.CronJob(name, metadata=meta(name, labels), spec=spec, opts=opts(prov))
    if kind == "Pod":
        return k8s.core.v1.Pod(name, metadata=meta(name, labels), spec=template["spec"], opts=opts(prov))
    if kind == "PodTemplate":
        return k8s.core.v1.PodTemplate(name, metadata=meta(name, labels), template=template, opts=opts(prov))
    raise ValueError(kind)


def service(name, prov, labels, kind="ClusterIP", selector=None, **spec):
    body = {"type": kind, "ports": [{"port": 80}], **spec}
    if selector is not None:
        body["selector"] = selector
    return k8s.core.v1.Service(name, metadata=meta(name, labels), spec=body, opts=opts(prov))


def ingress(name, prov, labels, backend):
    spec = {"defaultBackend": {"service": {"name": backend, "port": {"number": 80}}}}
    return k8s.networking.v1.Ingress(name, metadata=meta(name, labels), spec=spec, opts=opts(prov))


def bucket(name, **change):
    args = {
        "bucket": name,
        "country": "FR",
        "endpoint": "https://s3.fr-par.orange.example",
        "region": "fr-par",
        "access_key": "corpus-access",
        "secret_key": "corpus-secret",
        "data_classification": "internal",
        **change,
    }
    return ResidentBucket(name, ResidentBucketArgs(**args))


class _NoBucket(ResourceProvider):
    def create(self, props):
        return CreateResult(id_=props.get("bucket", "none"), outs=props)


class HandMadeBucket(Resource, module="edgefed", name="ResidentBucket"):
    """A resource of ResidentBucket's type registered without the component (and its checks)."""

    def __init__(self, name, props):
        super().__init__(_NoBucket(), name, props)


class HandMadePlatformInstance(Resource, module="edgefed", name="PlatformAppInstance"):
    """A resource of PlatformEdgeApp's instance type registered without the component."""

    def __init__(self, name, props):
        super().__init__(_NoBucket(), name, props)


class AnyDynamic(Resource, module="acme", name="Deployer"):
    """A dynamic resource of a type the pack does not know: its provider could deploy anything anywhere."""

    def __init__(self, name, props):
        super().__init__(_NoBucket(), name, props)


def platform_instance(name, **change):
    return HandMadePlatformInstance(
        name,
        {
            "platform_api": "https://eam.orange.example",
            "edge_cloud_zone_id": "dd4a347d-f64d-5fb5-8d19-88188c813883",
            "zone": "orange-fr-lyon",
            "country": "FR",
            "app": name,
            "image": PINNED,
            "data_classification": "restricted",
            "residency": ["FR"],
            **change,
        },
    )


paris = provider("paris", "orange-fr-paris")
k8s.core.v1.Namespace("tenant", metadata={"name": "tenant-fr", "labels": zone_labels("tenant")}, opts=opts(paris))
deployment("base", paris, zone_labels("base"))
# Public data may use the node (a node agent): disallow-host-access lets it through.
deployment(
    "public-agent", paris, zone_labels("public-agent", **{"edgefed.io/data-classification": "public"}), hostNetwork=True
)
bucket("base-data")
platform_instance("base-instance")


def restricted_pods(n, prov=paris):
    """A compliant restricted Deployment whose pods carry ``a=<n>``; cases expose it in some way."""
    labels = zone_labels(n, **RESTRICTED)
    return deployment(n + "-pods", prov, labels, image=PINNED, template_labels={**labels, "a": n})


def compliant(n):
    deployment(n + "-restricted", paris, zone_labels(n, **RESTRICTED), image=PINNED)
    service(n + "-svc", paris, zone_labels(n, **RESTRICTED))
    deployment(
        n + "-standby",
        provider(n + "-brussels", "orange-be-brussels"),
        zone_labels(n, "orange-be-brussels", "be", **{"edgefed.io/role": "standby"}),
    )
    # A provider that deploys (not only renders) and provably targets its zone: its kubeconfig names the
    # catalog's API server for the zone its clusterIdentifier names.
    k8s.Provider(n + "-live", kubeconfig=kubeconfig(PARIS_API), cluster_identifier="orange-fr-paris")
    restricted_pods(n)
    service(n + "-front", paris, zone_labels(n, **RESTRICTED), selector={"a": n})
    # A webhook served by a Service of the zone stays in it.
    webhook_configuration(n + "-checks", {"service": {"name": "checker", "namespace": "tenant-fr", "port": 443}})
    # A name and a CIDR the pack config allows in FR: restricted data may go there, and to DNS and its namespace.
    external_name(n + "-fr-telemetry", zone_labels(n, **RESTRICTED), "telemetry.fr.edgefed.example")
    network_policy(n + "-egress", {"edgefed.io/data-classification": "restricted"}, COMPLIANT_EGRESS)


def munich_labels(n, **extra):
    """Labels of a workload in Vodafone's Munich zone (Vodafone's group is under GB law)."""
    return zone_labels(n, "vodafone-de-munich", "de", "vodafone", **extra)


def external_name(name, labels, target="api.partner.example", prov=paris):
    spec = {"type": "ExternalName", "externalName": target}
    return k8s.core.v1.Service(name, metadata=meta(name, labels), spec=spec, opts=opts(prov))


DNS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
COMPLIANT_EGRESS = [
    {"to": [{"podSelector": {}}]},
    {"to": [DNS], "ports": [{"port": 53, "protocol": "UDP"}]},
    {"to": [{"ipBlock": {"cidr": "10.33.8.0/24"}}], "ports": [{"port": 443}]},
]


def network_policy(name, pinned, egress, prov=paris):
    """A NetworkPolicy in tenant-fr for the pods ``pinned`` labels select."""
    spec = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name, **pinned}}, "egress": egress}
    return k8s.networking.v1.NetworkPolicy(
        name, metadata={"name": name, "namespace": "tenant-fr"}, spec={**spec, "policyTypes": ["Egress"]},
        opts=opts(prov),
    )  # fmt: skip


RESTRICTED_PODS = {"edgefed.io/data-classification": "restricted"}


def webhook_configuration(name, client_config, kind="Validating"):
    hooks = [
        {
            "name": "check.edgefed.eu",
            "clientConfig": client_config,
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "rules": [
                {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}
            ],
        }
    ]
    resource = getattr(k8s.admissionregistration.v1, f"{kind}WebhookConfiguration")
    return resource(name, metadata={"name": name}, webhooks=hooks, opts=opts(paris))


def computed_from_bucket(n):
    """An output unknown until a bucket exists, so unknown at preview."""
    return bucket(n + "-computed").resource.location


CASES = {
    "compliant": compliant,
    # -- disallow-non-eu-zone: where a provider really connects --------------------------------------
    "provider-unknown-zone": lambda n: provider(n, "aws-us-east-1a"),
    "provider-cluster-identifier-unknown-zone": lambda n: k8s.Provider(
        n, render_yaml_to_directory=f"{render}/gke-us-central1", cluster_identifier="gke-us-central1"
    ),
    "provider-country-not-allowed": lambda n: provider(n, "tim-it-milan"),
    "kubeconfig-server-outside-catalog": lambda n: k8s.Provider(
        n, kubeconfig=kubeconfig("https://eks.us-east-1.amazonaws.com"), cluster_identifier="orange-fr-paris"
    ),
    "kubeconfig-server-of-another-zone": lambda n: k8s.Provider(
        n, kubeconfig=kubeconfig("https://api.tim-it-milan.tim.example:6443"), cluster_identifier="orange-fr-paris"
    ),
    "kubeconfig-context-elsewhere": lambda n: k8s.Provider(
        n,
        kubeconfig=kubeconfig(PARIS_API, us="https://gke.us-central1.example"),
        context="us",
        cluster_identifier="orange-fr-paris",
    ),
    "kubeconfig-unknown-at-preview": lambda n: k8s.Provider(
        n, kubeconfig=computed_from_bucket(n).apply(kubeconfig), cluster_identifier="orange-fr-paris"
    ),
    "provider-without-kubeconfig": lambda n: k8s.Provider(n, cluster_identifier="orange-fr-paris"),
    "kubeconfig-path": lambda n: k8s.Provider(n, kubeconfig="/root/.kube/config", cluster_identifier="orange-fr-paris"),
    "render-folder-other-zone": lambda n: k8s.Provider(
        n, render_yaml_to_directory=f"{render}/orange-be-brussels", cluster_identifier="orange-fr-paris"
    ),
    "local-zone-in-production": lambda n: provider(n, "local-orange-fr-paris"),
    # -- disallow-kubeconfig-detour: how a provider's requests travel -----------------------------------
    "kubeconfig-proxy-url": lambda n: k8s.Provider(
        n,
        kubeconfig=detouring_kubeconfig({"proxy-url": "http://proxy.us-east-1.example:3128"}),
        cluster_identifier="orange-fr-paris",
    ),
    "kubeconfig-insecure": lambda n: k8s.Provider(
        n, kubeconfig=detouring_kubeconfig({"insecure-skip-tls-verify": True}), cluster_identifier="orange-fr-paris"
    ),
    "kubeconfig-tls-server-name": lambda n: k8s.Provider(
        n,
        kubeconfig=detouring_kubeconfig({"tls-server-name": "gke.us-central1.example"}),
        cluster_identifier="orange-fr-paris",
    ),
    "kubeconfig-exec": lambda n: k8s.Provider(
        n,
        kubeconfig=detouring_kubeconfig(
            user={"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "token-helper"}}
        ),
        cluster_identifier="orange-fr-paris",
    ),
    "kubeconfig-auth-provider": lambda n: k8s.Provider(
        n,
        kubeconfig=detouring_kubeconfig(user={"auth-provider": {"name": "oidc"}}),
        cluster_identifier="orange-fr-paris",
    ),
    # -- enforce-residency-labels --------------------------------------------------------------------
    "namespace-unlabelled": lambda n: k8s.core.v1.Namespace(n, metadata={"name": n}, opts=opts(paris)),
    "namespace-wrong-country": lambda n: k8s.core.v1.Namespace(
        n, metadata={"name": n, "labels": zone_labels(n, country="de")}, opts=opts(paris)
    ),
    "deployment-missing-country": lambda n: deployment(
        n, paris, zone_labels(n, **{"edgefed.io/country": None}), template_labels=zone_labels(n)
    ),
    "deployment-wrong-country": lambda n: deployment(n, paris, zone_labels(n, country="de")),
    "deployment-wrong-operator": lambda n: deployment(n, paris, zone_labels(n, operator="vodafone")),
    "deployment-wrong-zone": lambda n: deployment(n, paris, zone_labels(n, zone="orange-fr-lyon")),
    "template-missing-zone": lambda n: deployment(
        n, paris, zone_labels(n), template_labels=zone_labels(n, **{"edgefed.io/zone": None})
    ),
    "residency-excludes-zone": lambda n: deployment(n, paris, zone_labels(n, residency="de.it")),
    "residency-names-us": lambda n: deployment(n, paris, zone_labels(n, residency="fr.us")),
    "residency-empty-code": lambda n: deployment(n, paris, zone_labels(n, residency="fr..de")),
    "missing-classification": lambda n: deployment(
        n, paris, zone_labels(n, **{"edgefed.io/data-classification": None}), template_labels=zone_labels(n)
    ),
    "unknown-classification": lambda n: deployment(
        n, paris, zone_labels(n, **{"edgefed.io/data-classification": "secret"}), template_labels=zone_labels(n)
    ),
    "missing-app-label": lambda n: deployment(
        n, paris, zone_labels(n, **{"app.kubernetes.io/name": None}), template_labels=zone_labels(n)
    ),
    "statefulset-unlabelled": lambda n: workload("StatefulSet", n, paris, {"app": "db"}, template_labels={"app": "db"}),
    "daemonset-unlabelled": lambda n: workload("DaemonSet", n, paris, {"app": "agent"}),
    "replication-controller-unlabelled": lambda n: workload("ReplicationController", n, paris, {"run": "web"}),
    "statefulset-template-wrong-country": lambda n: workload(
        "StatefulSet", n, paris, zone_labels(n), template_labels=zone_labels(n, country="it")
    ),
    "deployment-patch-wrong-country": lambda n: k8s.apps.v1.DeploymentPatch(
        n,
        metadata={"name": "base", "namespace": "tenant-fr", "labels": {"edgefed.io/country": "us"}},
        opts=opts(paris),
    ),
    "deployment-patch-removes-zone": lambda n: k8s.apps.v1.DeploymentPatch(
        n, metadata={"name": "base", "namespace": "tenant-fr", "labels": {"edgefed.io/zone": ""}}, opts=opts(paris)
    ),
    # -- disallow-unlisted-registry ------------------------------------------------------------------
    "cronjob-docker-hub": lambda n: workload("CronJob", n, paris, zone_labels(n), image="busybox:1.36"),
    "docker-hub-image": lambda n: deployment(n, paris, zone_labels(n), image="nginx:1.27"),
    "us-registry-gcr": lambda n: deployment(n, paris, zone_labels(n), image="gcr.io/acme/web:1"),
    "us-registry-ecr": lambda n: deployment(
        n, paris, zone_labels(n), image="123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"
    ),
    "cn-registry": lambda n: deployment(n, paris, zone_labels(n), image="registry.cn-hangzhou.aliyuncs.com/acme/web:1"),
    "ghcr-pod": lambda n: workload("Pod", n, paris, zone_labels(n), image="ghcr.io/acme/tool:2"),
    "lookalike-registry-host": lambda n: deployment(
        n, paris, zone_labels(n), image="registry.edgefed.eu.attacker.example/acme/web:1"
    ),
    "registry-on-another-port": lambda n: deployment(n, paris, zone_labels(n), image="registry.edgefed.eu:5000/web:1"),
    "init-container-docker-hub": lambda n: deployment(
        n, paris, zone_labels(n), initContainers=[{"name": "init", "image": "alpine:3.20"}]
    ),
    "daemonset-quay": lambda n: workload("DaemonSet", n, paris, zone_labels(n), image="quay.io/acme/agent:1"),
    "replicaset-docker-hub": lambda n: workload("ReplicaSet", n, paris, zone_labels(n), image="redis:7"),
    "job-docker-hub": lambda n: workload("Job", n, paris, zone_labels(n), image="python:3.12"),
    "statefulset-docker-hub": lambda n: workload("StatefulSet", n, paris, zone_labels(n), image="postgres:16"),
    "replication-controller-docker-hub": lambda n: workload(
        "ReplicationController", n, paris, zone_labels(n), image="nginx:1.27"
    ),
    "pod-template-docker-hub": lambda n: workload("PodTemplate", n, paris, zone_labels(n), image="nginx:1.27"),
    "deployment-patch-swaps-image": lambda n: k8s.apps.v1.DeploymentPatch(
        n,
        metadata={"name": "base", "namespace": "tenant-fr"},
        spec={"template": {"spec": {"containers": [{"name": "app", "image": "docker.io/attacker/vision:1"}]}}},
        opts=opts(paris),
    ),
    "statefulset-patch-swaps-image": lambda n: k8s.apps.v1.StatefulSetPatch(
        n,
        metadata={"name": "db", "namespace": "tenant-fr"},
        spec={"template": {"spec": {"containers": [{"name": "db", "image": "gcr.io/attacker/db:1"}]}}},
        opts=opts(paris),
    ),
    "pod-patch-swaps-image": lambda n: k8s.core.v1.PodPatch(
        n,
        metadata={"name": "tool", "namespace": "tenant-fr"},
        spec={"containers": [{"name": "app", "image": "ghcr.io/attacker/tool:1"}]},
        opts=opts(paris),
    ),
    "restricted-without-digest": lambda n: deployment(
        n, paris, zone_labels(n, **RESTRICTED), image="registry.edgefed.eu/aero/vision:3"
    ),
    "unclassified-without-digest": lambda n: deployment(
        n,
        paris,
        zone_labels(n, **{"edgefed.io/data-classification": None}),
        template_labels=zone_labels(n, **{"edgefed.io/data-classification": None}),
    ),
    "job-restricted-without-digest": lambda n: workload(
        "Job", n, paris, zone_labels(n, **RESTRICTED), image="registry.edgefed.eu/aero/batch:1"
    ),
    "image-reference-too-long": lambda n: deployment(
        n, paris, zone_labels(n), image="registry.edgefed.eu/" + "a" * 300 + ":1"
    ),
    "image-unknown-at-preview": lambda n: deployment(
        n, paris, zone_labels(n), image=computed_from_bucket(n).apply(lambda where: f"registry.edgefed.eu/{where}:1")
    ),
    # -- disallow-host-access -------------------------------------------------------------------------
    "host-network": lambda n: deployment(n, paris, zone_labels(n), hostNetwork=True),
    "host-pid": lambda n: deployment(n, paris, zone_labels(n), hostPID=True),
    "host-ipc": lambda n: deployment(n, paris, zone_labels(n), hostIPC=True),
    "host-port": lambda n: deployment(
        n,
        paris,
        zone_labels(n),
        containers=[{"name": "app", "image": PINNED, "ports": [{"containerPort": 80, "hostPort": 80}]}],
    ),
    "privileged-container": lambda n: deployment(
        n, paris, zone_labels(n), containers=[{"name": "app", "image": PINNED, "securityContext": {"privileged": True}}]
    ),
    "host-path-volume": lambda n: deployment(
        n, paris, zone_labels(n), volumes=[{"name": "node-root", "hostPath": {"path": "/"}}]
    ),
    "daemonset-host-path": lambda n: k8s.apps.v1.DaemonSet(
        n,
        metadata=meta(n, zone_labels(n)),
        spec={
            "selector": {"matchLabels": {"a": n}},
            "template": template_of(
                zone_labels(n), PINNED, volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}]
            ),
        },
        opts=opts(paris),
    ),
    "restricted-host-network": lambda n: deployment(n, paris, zone_labels(n, **RESTRICTED), PINNED, hostNetwork=True),
    "deployment-patch-host-network": lambda n: k8s.apps.v1.DeploymentPatch(
        n,
        metadata={"name": "base", "namespace": "tenant-fr"},
        spec={"template": {"spec": {"hostNetwork": True}}},
        opts=opts(paris),
    ),
    "statefulset-host-ipc": lambda n: workload("StatefulSet", n, paris, zone_labels(n), hostIPC=True),
    "job-host-pid": lambda n: workload("Job", n, paris, zone_labels(n), hostPID=True),
    "cronjob-host-network": lambda n: workload("CronJob", n, paris, zone_labels(n), hostNetwork=True),
    "pod-privileged": lambda n: workload(
        "Pod",
        n,
        paris,
        zone_labels(n),
        containers=[{"name": "app", "image": PINNED, "securityContext": {"privileged": True}}],
    ),
    "replicaset-host-port": lambda n: workload(
        "ReplicaSet",
        n,
        paris,
        zone_labels(n),
        containers=[{"name": "exporter", "image": PINNED, "ports": [{"containerPort": 9100, "hostPort": 9100}]}],
    ),
    "pod-template-host-path": lambda n: workload(
        "PodTemplate",
        n,
        paris,
        zone_labels(n),
        volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}],
    ),
    "replication-controller-host-network": lambda n: workload(
        "ReplicationController", n, paris, zone_labels(n), hostNetwork=True
    ),
    "personal-host-network": lambda n: deployment(
        n, paris, zone_labels(n, **{"edgefed.io/data-classification": "personal"}), PINNED, hostNetwork=True
    ),
    "init-container-privileged": lambda n: deployment(
        n,
        paris,
        zone_labels(n),
        initContainers=[{"name": "setup", "image": PINNED, "securityContext": {"privileged": True}}],
    ),
    "statefulset-patch-host-path": lambda n: k8s.apps.v1.StatefulSetPatch(
        n,
        metadata={"name": "db", "namespace": "tenant-fr"},
        spec={"template": {"spec": {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}},
        opts=opts(paris),
    ),
    "kubeconfig-proxy-in-unused-cluster": lambda n: k8s.Provider(
        n,
        kubeconfig=kubeconfig_with(
            {"name": "spare", "cluster": {"server": PARIS_API, "proxy-url": "socks5://relay.example:1080"}}
        ),
        cluster_identifier="orange-fr-paris",
    ),
    "kubeconfig-exec-in-unused-user": lambda n: k8s.Provider(
        n,
        kubeconfig=kubeconfig_with(
            {
                "name": "helper",
                "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "gcloud"}},
            },
            "users",
        ),
        cluster_identifier="orange-fr-paris",
    ),
    # -- disallow-external-name and disallow-offzone-webhook ----------------------------------------------
    "external-name-internal": lambda n: external_name(n, zone_labels(n)),
    # -- disallow-tenant-overreach: a tenant's identity writes only its own kinds, in its own namespaces -----------
    "tenant-rolebinding": lambda n: k8s.rbac.v1.RoleBinding(
        n,
        metadata={"name": n, "namespace": "acme-fr"},
        role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        subjects=[{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "edgefed:tenant:orange:acme"}],
        opts=opts(k8s.Provider(n + "-acme", kubeconfig=tenant_kubeconfig(), cluster_identifier="orange-fr-paris")),
    ),
    "external-name-labelled-public": lambda n: external_name(
        n, zone_labels(n, **{"edgefed.io/data-classification": "public"})
    ),
    "external-name-unclassified": lambda n: external_name(
        n, zone_labels(n, **{"edgefed.io/data-classification": None})
    ),
    "validating-webhook-url": lambda n: webhook_configuration(
        n, {"url": "https://hooks.us-east-1.example.com/validate"}
    ),
    "mutating-webhook-url": lambda n: webhook_configuration(n, {"url": "https://203.0.113.7:8443/mutate"}, "Mutating"),
    "external-name-personal": lambda n: external_name(
        n, zone_labels(n, **{"edgefed.io/data-classification": "personal"})
    ),
    "service-patch-external-name": lambda n: k8s.core.v1.ServicePatch(
        n,
        metadata={"name": "base-svc", "namespace": "tenant-fr"},
        spec={"externalName": "collector.cn-north-1.example"},
        opts=opts(paris),
    ),
    # -- require-eu-jurisdiction: restricted data only on operators under EU/EEA law ---------------------
    "restricted-on-a-gb-law-operator": lambda n: deployment(
        n, provider(n + "-munich", "vodafone-de-munich"), munich_labels(n, **RESTRICTED), image=PINNED
    ),
    "restricted-standby-on-a-gb-law-operator": lambda n: deployment(
        n,
        provider(n + "-munich", "vodafone-de-munich"),
        munich_labels(n, **RESTRICTED, **{"edgefed.io/role": "standby"}),
        image=PINNED,
    ),
    "unclassified-on-a-gb-law-operator": lambda n: deployment(
        n, provider(n + "-munich", "vodafone-de-munich"), munich_labels(n, **{"edgefed.io/data-classification": None})
    ),
    "restricted-cronjob-on-a-gb-law-operator": lambda n: workload(
        "CronJob",
        n,
        provider(n + "-turin", "vodafone-it-turin"),
        zone_labels(n, "vodafone-it-turin", "it", "vodafone", **{"edgefed.io/data-classification": "restricted"}),
        image=PINNED,
    ),
    "restricted-bucket-at-a-gb-law-operator": lambda n: HandMadeBucket(
        n,
        {
            "bucket": n,
            "country": "DE",
            "endpoint": "https://s3.de-fra.vodafone.example",
            "region": "de-fra",
            "data_classification": "restricted",
            "unsupported_controls": [],
        },
    ),
    # -- enforce-platform-instance-residency ---------------------------------------------------------------
    "platform-instance-at-another-platform": lambda n: platform_instance(
        n, platform_api="https://eam.attacker.example"
    ),
    "platform-instance-restricted-abroad": lambda n: platform_instance(n, country="DE"),
    "unknown-dynamic-resource": lambda n: AnyDynamic(n, {"image": "docker.io/anything:latest"}),
    # -- disallow-open-egress --------------------------------------------------------------------------
    "egress-anywhere": lambda n: network_policy(n, RESTRICTED_PODS, [{}]),
    "egress-to-the-internet": lambda n: network_policy(
        n, RESTRICTED_PODS, [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    ),
    "egress-to-a-us-cloud": lambda n: network_policy(
        n, {"edgefed.io/data-classification": "personal"}, [{"to": [{"ipBlock": {"cidr": "3.5.0.0/16"}}]}]
    ),
    "egress-to-another-countrys-cidr": lambda n: network_policy(
        n, RESTRICTED_PODS, [{"to": [{"ipBlock": {"cidr": "10.49.0.0/24"}}]}]
    ),
    "egress-wider-than-allowed": lambda n: network_policy(
        n, RESTRICTED_PODS, [{"to": [{"ipBlock": {"cidr": "10.32.0.0/11"}}]}]
    ),
    "egress-to-every-namespace": lambda n: network_policy(n, RESTRICTED_PODS, [{"to": [{"namespaceSelector": {}}]}]),
    "egress-to-dns-namespace-any-port": lambda n: network_policy(n, RESTRICTED_PODS, [{"to": [DNS]}]),
    "egress-without-pinned-class": lambda n: network_policy(n, {}, [{"to": [{"ipBlock": {"cidr": "8.8.8.8/32"}}]}]),
    "egress-pinned-outside-the-eu": lambda n: network_policy(
        n,
        {"edgefed.io/data-classification": "personal", "edgefed.io/residency": "us"},
        [{"to": [{"ipBlock": {"cidr": "10.33.0.0/24"}}]}],
    ),
    "egress-fr-cidr-from-frankfurt": lambda n: network_policy(
        n,
        RESTRICTED_PODS,
        [{"to": [{"ipBlock": {"cidr": "10.33.8.0/24"}}]}],
        provider(n + "-frankfurt", "deutsche-telekom-de-frankfurt"),
    ),
    "egress-patch-opens-china": lambda n: k8s.networking.v1.NetworkPolicyPatch(
        n,
        metadata={"name": "base-egress", "namespace": "tenant-fr"},
        spec={"egress": [{"to": [{"ipBlock": {"cidr": "36.110.0.0/16"}}]}]},
        opts=opts(paris),
    ),
    "external-name-to-another-countrys-name": lambda n: external_name(
        n, zone_labels(n, **RESTRICTED), "telemetry.de.edgefed.example"
    ),
    "validating-webhook-patch-url": lambda n: k8s.admissionregistration.v1.ValidatingWebhookConfigurationPatch(
        n,
        metadata={"name": "existing-checks"},
        webhooks=[
            {"name": "check.edgefed.eu", "clientConfig": {"url": "https://hooks.cn-north-1.example.cn/validate"}}
        ],
        opts=opts(paris),
    ),
    # -- disallow-unchecked-workload -----------------------------------------------------------------
    "argo-rollout": lambda n: k8s.apiextensions.CustomResource(
        n,
        api_version="argoproj.io/v1alpha1",
        kind="Rollout",
        metadata=meta(n, zone_labels(n)),
        spec={"replicas": 1, "template": template_of(zone_labels(n), "nginx:1.27")},
        opts=opts(paris),
    ),
    "knative-service": lambda n: k8s.apiextensions.CustomResource(
        n,
        api_version="serving.knative.dev/v1",
        kind="Service",
        metadata=meta(n, zone_labels(n)),
        spec={"template": template_of(zone_labels(n), "registry.edgefed.eu/acme/web:1")},
        opts=opts(paris),
    ),
    # -- enforce-bucket-residency --------------------------------------------------------------------
    "bucket-us-region": lambda n: bucket(n, region="us-east-1"),
    "bucket-us-endpoint": lambda n: bucket(n, endpoint="https://s3.us-east-1.amazonaws.com"),
    "bucket-us-country": lambda n: bucket(n, country="US"),
    "bucket-other-country-storage": lambda n: bucket(n, country="DE"),
    "bucket-local-endpoint-in-production": lambda n: bucket(n, endpoint="http://127.0.0.1:24101"),
    "hand-made-bucket-restricted-unencrypted": lambda n: HandMadeBucket(
        n,
        {
            "bucket": n,
            "country": "FR",
            "endpoint": "https://s3.fr-par.orange.example",
            "region": "fr-par",
            "data_classification": "restricted",
            "unsupported_controls": ["encryption"],
        },
    ),
    "hand-made-bucket-without-region": lambda n: HandMadeBucket(
        n, {"bucket": n, "country": "FR", "endpoint": "https://s3.fr-par.orange.example"}
    ),
    # -- disallow-external-exposure ------------------------------------------------------------------
    "loadbalancer-restricted": lambda n: service(n, paris, zone_labels(n, **RESTRICTED), "LoadBalancer"),
    "nodeport-restricted": lambda n: service(n, paris, zone_labels(n, **RESTRICTED), "NodePort"),
    "external-ips-restricted": lambda n: service(n, paris, zone_labels(n, **RESTRICTED), externalIPs=["203.0.113.7"]),
    "loadbalancer-unclassified": lambda n: service(
        n, paris, zone_labels(n, **{"edgefed.io/data-classification": None}), "LoadBalancer"
    ),
    "service-patch-to-loadbalancer": lambda n: k8s.core.v1.ServicePatch(
        n, metadata={"name": n, "namespace": "tenant-fr"}, spec={"type": "LoadBalancer"}, opts=opts(paris)
    ),
    "ingress-restricted": lambda n: ingress(n, paris, zone_labels(n, **RESTRICTED), n),
    # -- disallow-restricted-exposure-path -----------------------------------------------------------
    "public-loadbalancer-selects-restricted-pods": lambda n: (
        restricted_pods(n),
        service(n, paris, zone_labels(n, **{"edgefed.io/data-classification": "public"}), "LoadBalancer", {"a": n}),
    ),
    "public-nodeport-without-selector": lambda n: service(
        n, paris, zone_labels(n, **{"edgefed.io/data-classification": "public"}), "NodePort"
    ),
    "internal-ingress-to-restricted-pods": lambda n: (
        restricted_pods(n),
        service(n + "-front", paris, zone_labels(n, **RESTRICTED), selector={"a": n}),
        ingress(n, paris, zone_labels(n), n + "-front"),
    ),
    "ingress-to-a-service-outside-the-stack": lambda n: ingress(n, paris, zone_labels(n), "somewhere-else"),
    "httproute-to-restricted-pods": lambda n: (
        restricted_pods(n),
        service(n + "-front", paris, zone_labels(n, **RESTRICTED), selector={"a": n}),
        k8s.apiextensions.CustomResource(
            n,
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=meta(n, zone_labels(n)),
            spec={"parentRefs": [{"name": "edge"}], "rules": [{"backendRefs": [{"name": n + "-front", "port": 80}]}]},
            opts=opts(paris),
        ),
    ),
    # -- disallow-cross-border-restricted ------------------------------------------------------------
    "restricted-standby-across-border": lambda n: (
        deployment(n, paris, zone_labels(n, **RESTRICTED), image=PINNED),
        deployment(  # declared as the DE stack's (its namespace), so only the stack policy can see the app
            n + "-standby",
            provider(n + "-frankfurt", "deutsche-telekom-de-frankfurt"),
            zone_labels(
                n,
                "deutsche-telekom-de-frankfurt",
                "de",
                "deutsche-telekom",
                **RESTRICTED,
                **{"edgefed.io/role": "standby"},
            ),
            image=PINNED,
            namespace="tenant-de",
        ),
    ),
    "restricted-failover-to-ch": lambda n: (
        deployment(n, paris, zone_labels(n, **RESTRICTED), image=PINNED),
        deployment(
            n + "-standby",
            provider(n + "-geneva", "swisscom-ch-geneva"),
            zone_labels(n, "swisscom-ch-geneva", "ch", "swisscom", **RESTRICTED, **{"edgefed.io/role": "standby"}),
            image=PINNED,
        ),
    ),
    "standby-in-gb": lambda n: deployment(
        n,
        provider(n + "-london", "bt-gb-london"),
        zone_labels(n, "bt-gb-london", "gb", "bt", **{"edgefed.io/role": "standby"}),
    ),
    "standby-outside-residency": lambda n: deployment(
        n,
        provider(n + "-brussels", "orange-be-brussels"),
        zone_labels(n, "orange-be-brussels", "be", residency="fr.it", **{"edgefed.io/role": "standby"}),
    ),
    "restricted-without-roles-in-two-countries": lambda n: (
        deployment(n, paris, zone_labels(n, **RESTRICTED, **{"edgefed.io/role": None}), image=PINNED),
        deployment(
            n + "-de",
            provider(n + "-frankfurt", "deutsche-telekom-de-frankfurt"),
            zone_labels(
                n, "deutsche-telekom-de-frankfurt", "de", "deutsche-telekom", **RESTRICTED, **{"edgefed.io/role": None}
            ),
            image=PINNED,
        ),
    ),
}

for case in cases:
    if case not in CASES:
        raise ValueError(f"unknown corpus case {case!r}")
    CASES[case](case)
