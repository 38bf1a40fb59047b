"""edgefed's pure core: inputs, placement, residency rules and the Kubernetes objects built from them (no Pulumi)."""
