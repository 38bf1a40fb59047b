"""edgefed's operations: the ``edgefed`` command, the local federation, deploys, drills and checks.

The library (``edgefed``) never imports this package. Inside it, the layers are (checked by import-linter):
``cli`` above the jobs (``deploy``, ``drill``, ``policycheck``, ``planning``, ``render``, ``bench``,
``zones_import``), above ``federation`` and ``engine``, above ``controlplane``, above the helpers for
processes, zones (one typed Kubernetes client) and S3, above ``settings`` and ``errors``. Nothing here
reads the environment at import or exits the process: only ``cli`` does.
"""
