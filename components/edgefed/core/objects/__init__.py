"""The Kubernetes objects edgefed builds, as plain data: a zone's and an app's objects, the admission policy."""
