"""Pulumi component resources: EdgeZone, FederatedEdgeApp, ResidentBucket (one per module)."""
