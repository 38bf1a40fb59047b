"""Register each workload of a JSON corpus (name -> manifest) as its own resource, rendered for one zone.

The provider only renders YAML (its folder names the zone), so the policy pack judges every workload
without any cluster; the differential test sends the same manifests to a real zone.
"""

import json
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config("corpus")
zone = k8s.Provider("zone", render_yaml_to_directory=f"{config.require('render')}/{config.require('zone')}")
KINDS = {
    "Deployment": k8s.apps.v1.Deployment,
    "StatefulSet": k8s.apps.v1.StatefulSet,
    "DaemonSet": k8s.apps.v1.DaemonSet,
    "ReplicaSet": k8s.apps.v1.ReplicaSet,
    "Job": k8s.batch.v1.Job,
    "CronJob": k8s.batch.v1.CronJob,
    "Pod": k8s.core.v1.Pod,
    "ReplicationController": k8s.core.v1.ReplicationController,
    "PodTemplate": k8s.core.v1.PodTemplate,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
    "Service": k8s.core.v1.Service,
    "ValidatingWebhookConfiguration": k8s.admissionregistration.v1.ValidatingWebhookConfiguration,
    "MutatingWebhookConfiguration": k8s.admissionregistration.v1.MutatingWebhookConfiguration,
}

for name, manifest in json.loads(Path(config.require("manifests")).read_text()).items():
    body = {key: value for key, value in manifest.items() if key not in ("apiVersion", "kind")}
    KINDS[manifest["kind"]](name, **body, opts=pulumi.ResourceOptions(provider=zone))
