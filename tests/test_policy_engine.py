"""The policy pack under the real engine: compliant resources pass, each violating case fails with its message.

The corpus (tests/policy_corpus) registers raw resources without edgefed's components, because the pack
must also stop programs that bypass them. Each case names its resources after itself, so cases share a
preview: one preview per policy (run three at a time), each test reads its case's result there.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from edgefed.policy import ALL_POLICIES
from edgefed_ops.stack import operations

from .conftest import ROOT, SUMMARY, ops_settings, toolchain_or_skip

pytestmark = pytest.mark.engine

PACK = ROOT / "policies" / "eu-residency"
PACK_CONFIG = json.loads((PACK / "config.json").read_text())
EEA = "AT, BE, BG, CY, CZ, DE, DK, EE, ES, FI, FR, GR, HR, HU, IE, IS, IT, LI, LT, LU, LV, MT, NL, NO, PL, PT, RO, SE, SI, SK"

# case -> (policy, exact message); a case may break more rules, the one it is about must be reported.
CORPUS: dict[str, tuple[str, str]] = {
    "provider-unknown-zone": (
        "disallow-non-eu-zone",
        f"provider 'provider-unknown-zone': targets unknown zone 'aws-us-east-1a', not in the federation catalog; rule disallow-non-eu-zone allows only catalog zones in {EEA}",
    ),
    "provider-cluster-identifier-unknown-zone": (
        "disallow-non-eu-zone",
        f"provider 'provider-cluster-identifier-unknown-zone': targets unknown zone 'gke-us-central1', not in the federation catalog; rule disallow-non-eu-zone allows only catalog zones in {EEA}",
    ),
    "kubeconfig-server-outside-catalog": (
        "disallow-non-eu-zone",
        "provider 'kubeconfig-server-outside-catalog': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to a server outside the catalog; rule disallow-non-eu-zone allows only zone orange-fr-paris's API server https://api.orange-fr-paris.orange.example:6443",
    ),
    "kubeconfig-server-of-another-zone": (
        "disallow-non-eu-zone",
        "provider 'kubeconfig-server-of-another-zone': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to catalog zone tim-it-milan (IT); rule disallow-non-eu-zone allows only zone orange-fr-paris's API server https://api.orange-fr-paris.orange.example:6443",
    ),
    "kubeconfig-context-elsewhere": (
        "disallow-non-eu-zone",
        "provider 'kubeconfig-context-elsewhere': clusterIdentifier says zone orange-fr-paris but its kubeconfig connects to a server outside the catalog; rule disallow-non-eu-zone allows only zone orange-fr-paris's API server https://api.orange-fr-paris.orange.example:6443",
    ),
    "kubeconfig-unknown-at-preview": (
        "disallow-non-eu-zone",
        "provider 'kubeconfig-unknown-at-preview': string value at .kubeconfig can't be known during preview; rule disallow-non-eu-zone decides on inputs known at preview time and fails closed: make this value a static input",
    ),
    "provider-without-kubeconfig": (
        "disallow-non-eu-zone",
        "provider 'provider-without-kubeconfig': has no kubeconfig, so it connects wherever the environment's kubeconfig points; rule disallow-non-eu-zone allows only a kubeconfig whose server is zone orange-fr-paris's https://api.orange-fr-paris.orange.example:6443",
    ),
    "kubeconfig-path": (
        "disallow-non-eu-zone",
        "provider 'kubeconfig-path': its kubeconfig names no server for its context (or is a path, read only at deploy time); rule disallow-non-eu-zone allows only kubeconfig contents whose server is zone orange-fr-paris's https://api.orange-fr-paris.orange.example:6443",
    ),
    "render-folder-other-zone": (
        "disallow-non-eu-zone",
        "provider 'render-folder-other-zone': clusterIdentifier 'orange-fr-paris' but it renders to zone folder 'orange-be-brussels'; rule disallow-non-eu-zone allows only one zone per provider",
    ),
    "local-zone-in-production": (
        "disallow-non-eu-zone",
        f"provider 'local-zone-in-production': targets unknown zone 'local-orange-fr-paris', not in the federation catalog; rule disallow-non-eu-zone allows only catalog zones in {EEA}",
    ),
    "namespace-unlabelled": (
        "enforce-residency-labels",
        "Namespace 'namespace-unlabelled': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency",
    ),
    "namespace-wrong-country": (
        "enforce-residency-labels",
        "Namespace 'namespace-wrong-country': metadata.labels edgefed.io/country='de' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
    ),
    "deployment-missing-country": (
        "enforce-residency-labels",
        "Deployment 'deployment-missing-country': metadata.labels lacks edgefed.io/country; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "deployment-wrong-country": (
        "enforce-residency-labels",
        "Deployment 'deployment-wrong-country': metadata.labels edgefed.io/country='de' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
    ),
    "deployment-wrong-operator": (
        "enforce-residency-labels",
        "Deployment 'deployment-wrong-operator': metadata.labels edgefed.io/operator='vodafone' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/operator='orange'",
    ),
    "deployment-wrong-zone": (
        "enforce-residency-labels",
        "Deployment 'deployment-wrong-zone': metadata.labels edgefed.io/zone='orange-fr-lyon' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/zone='orange-fr-paris'",
    ),
    "template-missing-zone": (
        "enforce-residency-labels",
        "Deployment 'template-missing-zone': spec.template.metadata.labels lacks edgefed.io/zone; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "residency-excludes-zone": (
        "enforce-residency-labels",
        "Deployment 'residency-excludes-zone': metadata.labels edgefed.io/residency='de.it' allows only DE, IT but it is deployed to FR (zone orange-fr-paris); rule enforce-residency-labels requires the zone's country in the residency",
    ),
    "residency-names-us": (
        "enforce-residency-labels",
        "Deployment 'residency-names-us': metadata.labels edgefed.io/residency='fr.us' names US, not EU/EEA; rule enforce-residency-labels allows 'eu' or EU/EEA country codes joined by '.' (for example 'de.fr')",
    ),
    "residency-empty-code": (
        "enforce-residency-labels",
        "Deployment 'residency-empty-code': metadata.labels edgefed.io/residency='fr..de' has an empty country code between dots; rule enforce-residency-labels allows 'eu' or EU/EEA country codes joined by '.' (for example 'de.fr')",
    ),
    "missing-classification": (
        "enforce-residency-labels",
        "Deployment 'missing-classification': metadata.labels lacks edgefed.io/data-classification; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "unknown-classification": (
        "enforce-residency-labels",
        "Deployment 'unknown-classification': metadata.labels edgefed.io/data-classification='secret' is not a data classification; rule enforce-residency-labels allows only public, internal, personal, restricted",
    ),
    "missing-app-label": (
        "enforce-residency-labels",
        "Deployment 'missing-app-label': metadata.labels lacks app.kubernetes.io/name; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "statefulset-unlabelled": (
        "enforce-residency-labels",
        "StatefulSet 'statefulset-unlabelled': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "daemonset-unlabelled": (
        "enforce-residency-labels",
        "DaemonSet 'daemonset-unlabelled': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "replication-controller-unlabelled": (
        "enforce-residency-labels",
        "ReplicationController 'replication-controller-unlabelled': metadata.labels lacks edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "statefulset-template-wrong-country": (
        "enforce-residency-labels",
        "StatefulSet 'statefulset-template-wrong-country': spec.template.metadata.labels edgefed.io/country='it' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
    ),
    "deployment-patch-wrong-country": (
        "enforce-residency-labels",
        "DeploymentPatch 'deployment-patch-wrong-country': metadata.labels edgefed.io/country='us' but it is deployed to zone orange-fr-paris (FR, orange); rule enforce-residency-labels allows only edgefed.io/country='fr'",
    ),
    "deployment-patch-removes-zone": (
        "enforce-residency-labels",
        "DeploymentPatch 'deployment-patch-removes-zone': metadata.labels lacks edgefed.io/zone; rule enforce-residency-labels requires all of edgefed.io/country, edgefed.io/operator, edgefed.io/zone, edgefed.io/residency, edgefed.io/data-classification, app.kubernetes.io/name",
    ),
    "cronjob-docker-hub": (
        "disallow-unlisted-registry",
        "CronJob 'cronjob-docker-hub': image 'busybox:1.36' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "docker-hub-image": (
        "disallow-unlisted-registry",
        "Deployment 'docker-hub-image': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "us-registry-gcr": (
        "disallow-unlisted-registry",
        "Deployment 'us-registry-gcr': image 'gcr.io/acme/web:1' comes from registry gcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "us-registry-ecr": (
        "disallow-unlisted-registry",
        "Deployment 'us-registry-ecr': image '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1' comes from registry 123456789012.dkr.ecr.us-east-1.amazonaws.com; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "cn-registry": (
        "disallow-unlisted-registry",
        "Deployment 'cn-registry': image 'registry.cn-hangzhou.aliyuncs.com/acme/web:1' comes from registry registry.cn-hangzhou.aliyuncs.com; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "ghcr-pod": (
        "disallow-unlisted-registry",
        "Pod 'ghcr-pod': image 'ghcr.io/acme/tool:2' comes from registry ghcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "lookalike-registry-host": (
        "disallow-unlisted-registry",
        "Deployment 'lookalike-registry-host': image 'registry.edgefed.eu.attacker.example/acme/web:1' comes from registry registry.edgefed.eu.attacker.example; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "registry-on-another-port": (
        "disallow-unlisted-registry",
        "Deployment 'registry-on-another-port': image 'registry.edgefed.eu:5000/web:1' comes from registry registry.edgefed.eu:5000; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "init-container-docker-hub": (
        "disallow-unlisted-registry",
        "Deployment 'init-container-docker-hub': image 'alpine:3.20' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "daemonset-quay": (
        "disallow-unlisted-registry",
        "DaemonSet 'daemonset-quay': image 'quay.io/acme/agent:1' comes from registry quay.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "replicaset-docker-hub": (
        "disallow-unlisted-registry",
        "ReplicaSet 'replicaset-docker-hub': image 'redis:7' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "job-docker-hub": (
        "disallow-unlisted-registry",
        "Job 'job-docker-hub': image 'python:3.12' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "statefulset-docker-hub": (
        "disallow-unlisted-registry",
        "StatefulSet 'statefulset-docker-hub': image 'postgres:16' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "replication-controller-docker-hub": (
        "disallow-unlisted-registry",
        "ReplicationController 'replication-controller-docker-hub': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "pod-template-docker-hub": (
        "disallow-unlisted-registry",
        "PodTemplate 'pod-template-docker-hub': image 'nginx:1.27' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "deployment-patch-swaps-image": (
        "disallow-unlisted-registry",
        "DeploymentPatch 'deployment-patch-swaps-image': image 'docker.io/attacker/vision:1' comes from registry docker.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "statefulset-patch-swaps-image": (
        "disallow-unlisted-registry",
        "StatefulSetPatch 'statefulset-patch-swaps-image': image 'gcr.io/attacker/db:1' comes from registry gcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "pod-patch-swaps-image": (
        "disallow-unlisted-registry",
        "PodPatch 'pod-patch-swaps-image': image 'ghcr.io/attacker/tool:1' comes from registry ghcr.io; rule disallow-unlisted-registry allows only registry.edgefed.eu",
    ),
    "restricted-without-digest": (
        "disallow-unlisted-registry",
        "Deployment 'restricted-without-digest': image 'registry.edgefed.eu/aero/vision:3' is not pinned by digest but the workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for restricted data",
    ),
    "unclassified-without-digest": (
        "disallow-unlisted-registry",
        "Deployment 'unclassified-without-digest': image 'registry.edgefed.eu/acme/vision:1.0' is not pinned by digest but the workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for restricted data",
    ),
    "job-restricted-without-digest": (
        "disallow-unlisted-registry",
        "Job 'job-restricted-without-digest': image 'registry.edgefed.eu/aero/batch:1' is not pinned by digest but the workload holds restricted data; rule disallow-unlisted-registry requires image@sha256:<digest> for restricted data",
    ),
    "image-reference-too-long": (
        "disallow-unlisted-registry",
        "Deployment 'image-reference-too-long': image 'registry.edgefed.eu/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa... (324 characters) has a name of 320 characters; an image name has at most 255; rule disallow-unlisted-registry allows only images it can read",
    ),
    "image-unknown-at-preview": (
        "disallow-unlisted-registry",
        "Deployment 'image-unknown-at-preview': string value at .spec.template.spec.containers.0.image can't be known during preview; rule disallow-unlisted-registry decides on inputs known at preview time and fails closed: make this value a static input",
    ),
    "host-network": (
        "disallow-host-access",
        "Deployment 'host-network': hostNetwork: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "host-pid": (
        "disallow-host-access",
        "Deployment 'host-pid': hostPID: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "host-ipc": (
        "disallow-host-access",
        "Deployment 'host-ipc': hostIPC: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "host-port": (
        "disallow-host-access",
        "Deployment 'host-port': container 'app' hostPort 80 would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "privileged-container": (
        "disallow-host-access",
        "Deployment 'privileged-container': container 'app' privileged would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "host-path-volume": (
        "disallow-host-access",
        "Deployment 'host-path-volume': volume 'node-root' hostPath / would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "daemonset-host-path": (
        "disallow-host-access",
        "DaemonSet 'daemonset-host-path': volume 'logs' hostPath /var/log would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "restricted-host-network": (
        "disallow-host-access",
        "Deployment 'restricted-host-network': hostNetwork: true would put restricted data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "deployment-patch-host-network": (
        "disallow-host-access",
        "DeploymentPatch 'deployment-patch-host-network': hostNetwork: true would put restricted data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "kubeconfig-proxy-url": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-proxy-url': its kubeconfig uses a proxy (proxy-url), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "kubeconfig-insecure": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-insecure': its kubeconfig uses no certificate check (insecure-skip-tls-verify), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "kubeconfig-tls-server-name": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-tls-server-name': its kubeconfig uses another host's certificate (tls-server-name), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "kubeconfig-exec": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-exec': its kubeconfig uses a credential program (exec), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "kubeconfig-auth-provider": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-auth-provider': its kubeconfig uses an auth-provider plugin (auth-provider), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "external-name-labelled-public": (
        "disallow-external-name",
        "Service 'external-name-labelled-public': type ExternalName sends what its clients send to 'api.partner.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "tenant-rolebinding": (
        "disallow-tenant-overreach",
        "RoleBinding 'tenant-rolebinding': tenant acme's identity (from orange's issuer) may not write RoleBinding objects in any zone (a tenant writes only Deployment, HorizontalPodAutoscaler, NetworkPolicy, PersistentVolumeClaim, PodDisruptionBudget, Service, in its own namespaces); rule disallow-tenant-overreach refuses at preview what the zone would refuse half-way through the update",
    ),
    "external-name-internal": (
        "disallow-external-name",
        "Service 'external-name-internal': type ExternalName sends what its clients send to 'api.partner.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "external-name-unclassified": (
        "disallow-external-name",
        "Service 'external-name-unclassified': type ExternalName sends what its clients send to 'api.partner.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "egress-anywhere": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-anywhere': egress to any destination (egress rule 1 has no 'to') for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-to-the-internet": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-to-the-internet': egress to ipBlock '0.0.0.0/0' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-to-a-us-cloud": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-to-a-us-cloud': egress to ipBlock '3.5.0.0/16' for personal data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-to-another-countrys-cidr": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-to-another-countrys-cidr': egress to ipBlock '10.49.0.0/24' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-wider-than-allowed": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-wider-than-allowed': egress to ipBlock '10.32.0.0/11' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-to-every-namespace": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-to-every-namespace': egress to namespaces 'any' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-to-dns-namespace-any-port": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-to-dns-namespace-any-port': egress to namespace kube-system on ports other than 53 for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-without-pinned-class": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-without-pinned-class': egress to ipBlock '8.8.8.8/32' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "egress-pinned-outside-the-eu": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-pinned-outside-the-eu': egress to ipBlock '10.33.0.0/24' for personal data (residency US); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (none)",
    ),
    "egress-fr-cidr-from-frankfurt": (
        "disallow-open-egress",
        "NetworkPolicy 'egress-fr-cidr-from-frankfurt': egress to ipBlock '10.33.8.0/24' for restricted data (residency DE); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.49.0.0/16)",
    ),
    "egress-patch-opens-china": (
        "disallow-open-egress",
        "NetworkPolicyPatch 'egress-patch-opens-china': egress to ipBlock '36.110.0.0/16' for restricted data (residency FR); rule disallow-open-egress allows personal and restricted pods egress only to their own namespace, the cluster DNS (kube-system, port 53) and the pack config's CIDRs of their residency (10.33.0.0/16)",
    ),
    "external-name-to-another-countrys-name": (
        "disallow-external-name",
        "Service 'external-name-to-another-countrys-name': type ExternalName sends what its clients send to 'telemetry.de.edgefed.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "restricted-on-a-gb-law-operator": (
        "require-eu-jurisdiction",
        "Deployment 'restricted-on-a-gb-law-operator': restricted data in zone vodafone-de-munich of Vodafone, under GB jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA",
    ),
    "restricted-standby-on-a-gb-law-operator": (
        "require-eu-jurisdiction",
        "Deployment 'restricted-standby-on-a-gb-law-operator': restricted data in zone vodafone-de-munich of Vodafone, under GB jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA",
    ),
    "unclassified-on-a-gb-law-operator": (
        "require-eu-jurisdiction",
        "Deployment 'unclassified-on-a-gb-law-operator': restricted data in zone vodafone-de-munich of Vodafone, under GB jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA",
    ),
    "restricted-cronjob-on-a-gb-law-operator": (
        "require-eu-jurisdiction",
        "CronJob 'restricted-cronjob-on-a-gb-law-operator': restricted data in zone vodafone-it-turin of Vodafone, under GB jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA",
    ),
    "restricted-bucket-at-a-gb-law-operator": (
        "require-eu-jurisdiction",
        "bucket 'restricted-bucket-at-a-gb-law-operator': restricted data stored at https://s3.de-fra.vodafone.example of Vodafone, under GB jurisdiction outside the EU/EEA; rule require-eu-jurisdiction allows restricted data only on operators whose home jurisdiction is in the EU/EEA",
    ),
    "validating-webhook-url": (
        "disallow-offzone-webhook",
        "ValidatingWebhookConfiguration 'validating-webhook-url': webhook 'check.edgefed.eu' calls 'hooks.us-east-1.example.com' by URL, so the API server sends it every object it matches; rule disallow-offzone-webhook allows only webhooks whose clientConfig names a Service inside the zone",
    ),
    "mutating-webhook-url": (
        "disallow-offzone-webhook",
        "MutatingWebhookConfiguration 'mutating-webhook-url': webhook 'check.edgefed.eu' calls '203.0.113.7' by URL, so the API server sends it every object it matches; rule disallow-offzone-webhook allows only webhooks whose clientConfig names a Service inside the zone",
    ),
    "statefulset-host-ipc": (
        "disallow-host-access",
        "StatefulSet 'statefulset-host-ipc': hostIPC: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "job-host-pid": (
        "disallow-host-access",
        "Job 'job-host-pid': hostPID: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "cronjob-host-network": (
        "disallow-host-access",
        "CronJob 'cronjob-host-network': hostNetwork: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "pod-privileged": (
        "disallow-host-access",
        "Pod 'pod-privileged': container 'app' privileged would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "replicaset-host-port": (
        "disallow-host-access",
        "ReplicaSet 'replicaset-host-port': container 'exporter' hostPort 9100 would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "pod-template-host-path": (
        "disallow-host-access",
        "PodTemplate 'pod-template-host-path': volume 'docker' hostPath /var/run/docker.sock would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "replication-controller-host-network": (
        "disallow-host-access",
        "ReplicationController 'replication-controller-host-network': hostNetwork: true would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "personal-host-network": (
        "disallow-host-access",
        "Deployment 'personal-host-network': hostNetwork: true would put personal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "init-container-privileged": (
        "disallow-host-access",
        "Deployment 'init-container-privileged': container 'setup' privileged would put internal data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "statefulset-patch-host-path": (
        "disallow-host-access",
        "StatefulSetPatch 'statefulset-patch-host-path': volume 'root' hostPath / would put restricted data on the node's network, processes or disks, outside the zone's network policies; rule disallow-host-access allows host network, ports, PID and IPC, privileged containers and hostPath volumes only for public data",
    ),
    "kubeconfig-proxy-in-unused-cluster": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-proxy-in-unused-cluster': its kubeconfig uses a proxy (proxy-url), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "kubeconfig-exec-in-unused-user": (
        "disallow-kubeconfig-detour",
        "provider 'kubeconfig-exec-in-unused-user': its kubeconfig uses a credential program (exec), so its requests (manifests, secrets, tokens) may reach someone other than the zone's API server; rule disallow-kubeconfig-detour allows only a direct connection that verifies the server's certificate, with a token or client certificate",
    ),
    "external-name-personal": (
        "disallow-external-name",
        "Service 'external-name-personal': type ExternalName sends what its clients send to 'api.partner.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "service-patch-external-name": (
        "disallow-external-name",
        "ServicePatch 'service-patch-external-name': type ExternalName sends what its clients send to 'collector.cn-north-1.example', outside the zone; rule disallow-external-name allows ExternalName Services only to a name the pack config allows in the zone's country (FR: telemetry.fr.edgefed.example), whatever the Service's labels say",
    ),
    "validating-webhook-patch-url": (
        "disallow-offzone-webhook",
        "ValidatingWebhookConfigurationPatch 'validating-webhook-patch-url': webhook 'check.edgefed.eu' calls 'hooks.cn-north-1.example.cn' by URL, so the API server sends it every object it matches; rule disallow-offzone-webhook allows only webhooks whose clientConfig names a Service inside the zone",
    ),
    "argo-rollout": (
        "disallow-unchecked-workload",
        "Rollout 'argo-rollout': kind kubernetes:argoproj.io/v1alpha1:Rollout is not one the pack checks, yet it carries a pod spec at spec.template.spec; rule disallow-unchecked-workload refuses unknown kinds that run containers (use a Deployment, StatefulSet, DaemonSet, Job or CronJob)",
    ),
    "knative-service": (
        "disallow-unchecked-workload",
        "Service 'knative-service': kind kubernetes:serving.knative.dev/v1:Service is not one the pack checks, yet it carries a pod spec at spec.template.spec; rule disallow-unchecked-workload refuses unknown kinds that run containers (use a Deployment, StatefulSet, DaemonSet, Job or CronJob)",
    ),
    "platform-instance-at-another-platform": (
        "enforce-platform-instance-residency",
        "platform instance 'platform-instance-at-another-platform': zone 'dd4a347d-f64d-5fb5-8d19-88188c813883' at platform 'https://eam.attacker.example' is no catalog zone of that platform's operator; rule enforce-platform-instance-residency judges only instances whose platform and zone the catalog names",
    ),
    "platform-instance-restricted-abroad": (
        "enforce-platform-instance-residency",
        "platform instance 'platform-instance-restricted-abroad': restricted data of the DE stack in zone orange-fr-lyon (FR); rule enforce-platform-instance-residency keeps restricted data in its stack's country",
    ),
    "unknown-dynamic-resource": (
        "disallow-unchecked-workload",
        "Deployer 'unknown-dynamic-resource': dynamic resource type pulumi-python:dynamic/acme:Deployer is not one the pack judges, and a dynamic provider can deploy anything anywhere; rule disallow-unchecked-workload allows only pulumi-python:dynamic/edgefed:PlatformApp, pulumi-python:dynamic/edgefed:PlatformAppInstance, pulumi-python:dynamic/edgefed:ResidentBucket",
    ),
    "bucket-us-region": (
        "enforce-bucket-residency",
        "bucket 'bucket-us-region-bucket': endpoint https://s3.fr-par.orange.example region 'us-east-1' is not FR object storage of the catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
    ),
    "bucket-us-endpoint": (
        "enforce-bucket-residency",
        "bucket 'bucket-us-endpoint-bucket': endpoint https://s3.us-east-1.amazonaws.com region 'fr-par' is not FR object storage of the catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
    ),
    "bucket-us-country": (
        "enforce-bucket-residency",
        f"bucket 'bucket-us-country-bucket': country 'US'; rule enforce-bucket-residency allows only {EEA}",
    ),
    "bucket-other-country-storage": (
        "enforce-bucket-residency",
        "bucket 'bucket-other-country-storage-bucket': endpoint https://s3.fr-par.orange.example region 'fr-par' is not DE object storage of the catalog; rule enforce-bucket-residency allows only https://s3.de-fra.deutsche-telekom.example (de-fra), https://s3.de-fra.vodafone.example (de-fra)",
    ),
    "bucket-local-endpoint-in-production": (
        "enforce-bucket-residency",
        "bucket 'bucket-local-endpoint-in-production-bucket': endpoint http://127.0.0.1:24101 region 'fr-par' is not FR object storage of the catalog; rule enforce-bucket-residency allows only https://s3.fr-par.orange.example (fr-par)",
    ),
    "hand-made-bucket-restricted-unencrypted": (
        "enforce-bucket-residency",
        "bucket 'hand-made-bucket-restricted-unencrypted': holds 'restricted' data at https://s3.fr-par.orange.example, which cannot encrypt by default; rule enforce-bucket-residency requires an endpoint with default encryption for restricted data",
    ),
    "hand-made-bucket-without-region": (
        "enforce-bucket-residency",
        "bucket 'hand-made-bucket-without-region': lacks region; rule enforce-bucket-residency decides on all of them",
    ),
    "loadbalancer-restricted": (
        "disallow-external-exposure",
        "Service 'loadbalancer-restricted': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "nodeport-restricted": (
        "disallow-external-exposure",
        "Service 'nodeport-restricted': type NodePort exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "external-ips-restricted": (
        "disallow-external-exposure",
        "Service 'external-ips-restricted': externalIPs exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "loadbalancer-unclassified": (
        "disallow-external-exposure",
        "Service 'loadbalancer-unclassified': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "service-patch-to-loadbalancer": (
        "disallow-external-exposure",
        "ServicePatch 'service-patch-to-loadbalancer': type LoadBalancer exposes restricted data outside the zone; rule disallow-external-exposure allows only ClusterIP for restricted workloads",
    ),
    "ingress-restricted": (
        "disallow-external-exposure",
        "Ingress 'ingress-restricted': exposes restricted data outside the zone; rule disallow-external-exposure allows none",
    ),
    "public-loadbalancer-selects-restricted-pods": (
        "disallow-restricted-exposure-path",
        "Service 'public-loadbalancer-selects-restricted-pods': type LoadBalancer exposes the pods of Deployment 'public-loadbalancer-selects-restricted-pods-pods' (restricted data) outside the zone; rule disallow-restricted-exposure-path allows only ClusterIP Services in front of restricted pods",
    ),
    "public-nodeport-without-selector": (
        "disallow-restricted-exposure-path",
        "Service 'public-nodeport-without-selector': type NodePort but it selects no pods, so what it exposes is set by hand and cannot be checked; rule disallow-restricted-exposure-path allows exposing only Services whose selector names their pods",
    ),
    "internal-ingress-to-restricted-pods": (
        "disallow-restricted-exposure-path",
        "Ingress 'internal-ingress-to-restricted-pods': routes to Service 'internal-ingress-to-restricted-pods-front', which selects the pods of Deployment 'internal-ingress-to-restricted-pods-pods' (restricted data); rule disallow-restricted-exposure-path allows no route from outside the zone to restricted pods",
    ),
    "ingress-to-a-service-outside-the-stack": (
        "disallow-restricted-exposure-path",
        "Ingress 'ingress-to-a-service-outside-the-stack': routes to Service 'somewhere-else', which this stack does not define as a Service, so the pods behind it cannot be checked; rule disallow-restricted-exposure-path allows routes only to Services of the stack",
    ),
    "httproute-to-restricted-pods": (
        "disallow-restricted-exposure-path",
        "HTTPRoute 'httproute-to-restricted-pods': routes to Service 'httproute-to-restricted-pods-front', which selects the pods of Deployment 'httproute-to-restricted-pods-pods' (restricted data); rule disallow-restricted-exposure-path allows no route from outside the zone to restricted pods",
    ),
    "restricted-standby-across-border": (
        "disallow-cross-border-restricted",
        "Deployment 'restricted-standby-across-border-standby': standby of restricted app restricted-standby-across-border in DE (zone deutsche-telekom-de-frankfurt), across the border from FR; rule disallow-cross-border-restricted allows restricted data only in FR",
    ),
    "restricted-failover-to-ch": (
        "disallow-cross-border-restricted",
        "Deployment 'restricted-failover-to-ch-standby': standby of restricted app restricted-failover-to-ch in CH, outside the EU/EEA (zone swisscom-ch-geneva), across the border from FR; rule disallow-cross-border-restricted allows restricted data only in FR",
    ),
    "standby-in-gb": (
        "disallow-cross-border-restricted",
        f"Deployment 'standby-in-gb': standby of app standby-in-gb in GB (zone bt-gb-london) is outside its residency; rule disallow-cross-border-restricted allows only {EEA}",
    ),
    "standby-outside-residency": (
        "disallow-cross-border-restricted",
        "Deployment 'standby-outside-residency': standby of app standby-outside-residency in BE (zone orange-be-brussels) is outside its residency; rule disallow-cross-border-restricted allows only FR, IT",
    ),
    "restricted-without-roles-in-two-countries": (
        "disallow-cross-border-restricted",
        "Deployment 'restricted-without-roles-in-two-countries': workload without a role of restricted app restricted-without-roles-in-two-countries in FR (zone orange-fr-paris), with no primary to anchor it; rule disallow-cross-border-restricted allows restricted data only in one country, its primaries",
    ),
}
NARROWED = {"provider-country-not-allowed": {"disallow-non-eu-zone": {"allowedCountries": ["FR"]}}}
CORPUS["provider-country-not-allowed"] = (
    "disallow-non-eu-zone",
    "provider 'provider-country-not-allowed': zone 'tim-it-milan' is in IT; rule disallow-non-eu-zone allows only FR",
)


ISOLATED = {"kubeconfig-exec", "kubeconfig-auth-provider"}
"""Cases whose provider may fail to configure at preview (its credential plugin runs, or refuses its config):
the engine then cancels the rest of that preview, so each gets a preview of its own."""


def batches() -> dict[str, list[str]]:
    """Previews to run: the compliant base alone, one per policy, and each case that narrows the config or
    is isolated."""
    out: dict[str, list[str]] = {"compliant": ["compliant"]}
    for case, (policy, _) in CORPUS.items():
        out.setdefault(case if case in NARROWED or case in ISOLATED else policy, []).append(case)
    return out


def pack_config(tmp_path, name: str, cases: list[str]):
    config = json.loads(json.dumps(PACK_CONFIG))
    for case in cases:
        for policy, change in NARROWED.get(case, {}).items():
            config[policy].update(change)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    return path


def workspace(tmp_path, name: str, cases: list[str]):
    from edgefed_ops.stack.workspace import StackWorkspace

    stack = StackWorkspace(
        ops_settings(tmp_path), name, folder=tmp_path / name, project=ROOT / "tests" / "policy_corpus"
    )
    stack.prepare({"corpus:cases": ",".join(cases), "corpus:render": str(tmp_path / "render" / name)})
    return stack


def preview(tmp_path, name: str, cases: list[str]):
    # Violations come from the engine's policy events (Automation API), not from its text.
    return operations.preview(workspace(tmp_path, name, cases), config=pack_config(tmp_path, name, cases))


def _belongs(message: str, cases: list[str]) -> bool:
    """Whether a message names a resource of one of ``cases`` (each names its resources after itself)."""
    return any(f"'{case}'" in message or f"'{case}-" in message for case in cases)


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory):
    toolchain_or_skip("pulumi")
    tmp_path = tmp_path_factory.mktemp("corpus")
    groups = batches()
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = dict(zip(groups, pool.map(lambda n: preview(tmp_path, n, groups[n]), groups), strict=True))
    results = {case: outcomes[name] for name, cases in groups.items() for case in cases}
    blocked = sum(1 for case, (policy, message) in CORPUS.items() if _reported(results[case], policy, message))
    SUMMARY.append(
        f"policy corpus under the real engine: {blocked}/{len(CORPUS)} violating cases blocked with their expected "
        f"message in {len(groups)} previews; compliant case {'passed' if results['compliant'].ok else 'FAILED'}"
    )
    return {"cases": results, "batches": {name: (groups[name], outcomes[name]) for name in groups}}


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 70
    assert len({policy for policy, _ in CORPUS.values()}) == len(ALL_POLICIES), (
        "every policy of the pack has violating cases"
    )


def _reported(outcome, policy: str, message: str) -> bool:
    return not outcome.ok and (policy, "mandatory", message) in [
        (v.policy, v.level, v.message) for v in outcome.violations
    ]


def test_compliant_resources_pass(corpus_results):
    outcome = corpus_results["cases"]["compliant"]
    assert outcome.ok and not outcome.violations, outcome.output[-3000:]


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_violating_case_fails_with_its_message(case, corpus_results):
    outcome = corpus_results["cases"][case]
    policy, message = CORPUS[case]
    assert not outcome.ok, f"{case} was not blocked:\n{outcome.output[-3000:]}"
    assert (policy, "mandatory", message) in [(v.policy, v.level, v.message) for v in outcome.violations], [
        v.message for v in outcome.violations if _belongs(v.message, [case])
    ]


def test_every_violation_in_a_shared_preview_belongs_to_one_of_its_cases(corpus_results):
    """Sharing a preview is sound only if the compliant base reports nothing and no case leaks into another."""
    for name, (cases, outcome) in corpus_results["batches"].items():
        stray = [v.message for v in outcome.violations if not _belongs(v.message, cases)]
        assert not stray, (name, stray)


def test_up_refuses_the_registry_cases_and_writes_nothing(tmp_path):
    """`edgefed up` runs the same pack: every resource-policy case is refused with its message, nothing written."""
    toolchain_or_skip("pulumi")
    cases = [case for case, (policy, _) in CORPUS.items() if policy == "disallow-unlisted-registry"]
    stack = workspace(tmp_path, "up-registry", cases)
    outcome = operations.up(stack, config=pack_config(tmp_path, "up-registry", cases))
    assert not outcome.ok
    reported = [(v.policy, v.message) for v in outcome.violations]
    assert [CORPUS[case] in reported for case in cases] == [True] * len(cases), reported
    assert not [p for p in (tmp_path / "render").rglob("*") if p.is_file()], "nothing may be written"
    assert not operations.export(stack).get("resources"), "the state holds nothing"


def test_up_with_a_stack_policy_violation_writes_nothing(tmp_path):
    """Stack policies run after resources are written when `up` skips its preview; edgefed previews first."""
    toolchain_or_skip("pulumi")
    case = "restricted-standby-across-border"
    stack = workspace(tmp_path, case, [case])
    outcome = operations.up(stack, config=pack_config(tmp_path, case, [case]))
    assert not outcome.ok
    assert [v.policy for v in outcome.mandatory] == ["disallow-cross-border-restricted"], (
        outcome.errors,
        outcome.output[-2500:],
    )
    assert outcome.output.startswith("not deployed, nothing written: the preview with the policy pack failed")
    assert not [p for p in (tmp_path / "render").rglob("*") if p.is_file()], (
        "nothing may be written before the stack policy ran"
    )
    assert not operations.export(stack).get("resources"), "the state holds nothing"
