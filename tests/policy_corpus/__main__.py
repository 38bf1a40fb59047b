"""One compliant base deployment, plus the change named by the `corpus:case` config value.

Written without edgefed's components on purpose: the pack must stop programs that bypass them.
"""

import pulumi
import pulumi_kubernetes as k8s

from edgefed.components.bucket import ResidentBucket, ResidentBucketArgs

config = pulumi.Config("corpus")
case = config.require("case")
render = config.require("render")
DIGEST = "sha256:" + "ab" * 32


def zone_labels(zone="orange-fr-paris", country="fr", operator="orange", residency="eu", **extra):
    return {
        "edgefed.io/country": country,
        "edgefed.io/operator": operator,
        "edgefed.io/zone": zone,
        "edgefed.io/residency": residency,
        "app.kubernetes.io/name": "vision",
        "edgefed.io/role": "primary",
        "edgefed.io/data-classification": "internal",
        **extra,
    }


def provider(name, zone, **extra):
    return k8s.Provider(name, render_yaml_to_directory=f"{render}/{zone}", **extra)


def deployment(
    name, prov, labels, image="registry.edgefed.eu/acme/vision:1.0", template_labels=None, kind="Deployment"
):
    pod = {"containers": [{"name": "app", "image": image}]}
    template = {"metadata": {"labels": template_labels if template_labels is not None else dict(labels)}, "spec": pod}
    opts = pulumi.ResourceOptions(provider=prov)
    meta = {"name": name, "namespace": "tenant-fr", "labels": labels}
    if kind == "StatefulSet":
        return k8s.apps.v1.StatefulSet(
            name,
            metadata=meta,
            spec={"serviceName": name, "selector": {"matchLabels": {"a": name}}, "template": template},
            opts=opts,
        )
    if kind == "CronJob":
        template["spec"]["restartPolicy"] = "Never"
        return k8s.batch.v1.CronJob(
            name,
            metadata=meta,
            spec={"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}},
            opts=opts,
        )
    if kind == "Pod":
        return k8s.core.v1.Pod(name, metadata=meta, spec=pod, opts=opts)
    return k8s.apps.v1.Deployment(
        name, metadata=meta, spec={"selector": {"matchLabels": {"a": name}}, "template": template}, opts=opts
    )


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


paris = provider("paris", "orange-fr-paris")
restricted = {"edgefed.io/data-classification": "restricted", "edgefed.io/residency": "de.fr"}
k8s.core.v1.Namespace(
    "tenant", metadata={"name": "tenant-fr", "labels": zone_labels()}, opts=pulumi.ResourceOptions(provider=paris)
)
deployment("base", paris, zone_labels())
bucket("base-data")

if case == "compliant":
    deployment(
        "vision-restricted", paris, zone_labels(**restricted), image=f"registry.edgefed.eu/aero/vision:3@{DIGEST}"
    )
    k8s.core.v1.Service(
        "vision",
        metadata={"name": "vision", "labels": zone_labels(**restricted)},
        spec={"type": "ClusterIP", "ports": [{"port": 80}]},
        opts=pulumi.ResourceOptions(provider=paris),
    )
    deployment(
        "standby",
        provider("brussels", "orange-be-brussels"),
        zone_labels("orange-be-brussels", "be", **{"edgefed.io/role": "standby"}),
    )
elif case == "provider-unknown-zone":
    provider("aws", "aws-us-east-1a")
elif case == "provider-cluster-identifier-unknown-zone":
    k8s.Provider("gke", render_yaml_to_directory=f"{render}/x", cluster_identifier="gke-us-central1")
elif case == "provider-country-not-allowed":
    provider("milan", "tim-it-milan")
elif case == "namespace-unlabelled":
    k8s.core.v1.Namespace("bare", metadata={"name": "bare"}, opts=pulumi.ResourceOptions(provider=paris))
elif case == "deployment-missing-country":
    labels = zone_labels()
    del labels["edgefed.io/country"]
    deployment("nolabel", paris, labels, template_labels=zone_labels())
elif case == "deployment-wrong-country":
    deployment("wrong", paris, zone_labels(country="de"))
elif case == "template-missing-zone":
    template = zone_labels()
    del template["edgefed.io/zone"]
    deployment("tmpl", paris, zone_labels(), template_labels=template)
elif case == "residency-excludes-zone":
    deployment("outside", paris, zone_labels(residency="de.it"))
elif case == "statefulset-unlabelled":
    deployment("db", paris, {"app": "db"}, template_labels={"app": "db"}, kind="StatefulSet")
elif case == "cronjob-docker-hub":
    deployment("report", paris, zone_labels(), image="busybox:1.36", kind="CronJob")
elif case == "docker-hub-image":
    deployment("web", paris, zone_labels(), image="nginx:1.27")
elif case == "us-registry-gcr":
    deployment("web", paris, zone_labels(), image="gcr.io/acme/web:1")
elif case == "us-registry-ecr":
    deployment("web", paris, zone_labels(), image="123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1")
elif case == "cn-registry":
    deployment("web", paris, zone_labels(), image="registry.cn-hangzhou.aliyuncs.com/acme/web:1")
elif case == "ghcr-pod":
    deployment("tool", paris, zone_labels(), image="ghcr.io/acme/tool:2", kind="Pod")
elif case == "restricted-without-digest":
    deployment("vision", paris, zone_labels(**restricted), image="registry.edgefed.eu/aero/vision:3")
elif case == "bucket-us-region":
    bucket("data", region="us-east-1")
elif case == "bucket-us-endpoint":
    bucket("data", endpoint="https://s3.us-east-1.amazonaws.com")
elif case == "bucket-us-country":
    bucket("data", country="US")
elif case == "bucket-other-country-storage":
    bucket("data", country="DE")
elif case == "loadbalancer-restricted":
    k8s.core.v1.Service(
        "vision",
        metadata={"name": "vision", "labels": zone_labels(**restricted)},
        spec={"type": "LoadBalancer", "ports": [{"port": 80}]},
        opts=pulumi.ResourceOptions(provider=paris),
    )
elif case == "nodeport-restricted":
    k8s.core.v1.Service(
        "vision",
        metadata={"name": "vision", "labels": zone_labels(**restricted)},
        spec={"type": "NodePort", "ports": [{"port": 80}]},
        opts=pulumi.ResourceOptions(provider=paris),
    )
elif case == "ingress-restricted":
    k8s.networking.v1.Ingress(
        "vision",
        metadata={"name": "vision", "labels": zone_labels(**restricted)},
        spec={"defaultBackend": {"service": {"name": "vision", "port": {"number": 80}}}},
        opts=pulumi.ResourceOptions(provider=paris),
    )
elif case == "restricted-standby-across-border":
    deployment("vision", paris, zone_labels(**restricted), image=f"registry.edgefed.eu/aero/vision:3@{DIGEST}")
    frankfurt = provider("frankfurt", "deutsche-telekom-de-frankfurt")
    deployment(
        "vision-standby",
        frankfurt,
        zone_labels(
            "deutsche-telekom-de-frankfurt", "de", "deutsche-telekom", **restricted, **{"edgefed.io/role": "standby"}
        ),
        image=f"registry.edgefed.eu/aero/vision:3@{DIGEST}",
    )
elif case == "restricted-failover-to-ch":
    deployment("vision", paris, zone_labels(**restricted), image=f"registry.edgefed.eu/aero/vision:3@{DIGEST}")
    geneva = provider("geneva", "swisscom-ch-geneva")
    deployment(
        "vision-standby",
        geneva,
        zone_labels("swisscom-ch-geneva", "ch", "swisscom", **restricted, **{"edgefed.io/role": "standby"}),
        image=f"registry.edgefed.eu/aero/vision:3@{DIGEST}",
    )
elif case == "standby-in-gb":
    london = provider("london", "bt-gb-london")
    deployment("standby", london, zone_labels("bt-gb-london", "gb", "bt", **{"edgefed.io/role": "standby"}))
elif case == "standby-outside-residency":
    brussels = provider("brussels", "orange-be-brussels")
    deployment(
        "standby",
        brussels,
        zone_labels("orange-be-brussels", "be", residency="fr.it", **{"edgefed.io/role": "standby"}),
    )
elif case == "image-unknown-at-preview":
    # A bucket's live location is an output, unknown until the bucket exists.
    data = bucket("computed-data")
    image = data.resource.location.apply(lambda where: f"registry.edgefed.eu/acme/{where}:1")
    deployment("computed", paris, zone_labels(), image=image)
else:
    raise ValueError(f"unknown corpus case {case!r}")
